package fieldpath

// List identity: how the items of a list are told apart, by the SPEC's rules. The webhook's
// changed paths and the audit's drifted paths both name items through these functions, so an
// item has one path in records, reports and ignore rules.

// ListOf decides how the list at field key below parent is keyed, given both sides of it: a
// built-in list by its merge key ("" when it has none: items go by index), any other list by
// `name` when every item on both sides has one, else by index. items is the schema of its items.
func ListOf(parent Schema, key string, a, b []any) (mergeKey string, items Schema) {
	if Typed(parent) {
		return parent.List(key)
	}
	if everyHas(a, "name") && everyHas(b, "name") {
		return "name", nil
	}
	return "", nil
}

func everyHas(list []any, key string) bool {
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := KeyValue(m, key); !ok {
			return false
		}
	}
	return true
}

// Item is one item of a keyed list with the keys its path names and its identity.
type Item struct {
	// Keys and Values are the key fields the item's path shows: the merge key, and the second
	// list-map key where another item shares the merge key's value.
	Keys   []string
	Values []any
	// ID is the same for the items on both sides that are one item.
	ID  string
	Obj map[string]any
}

// Segment is the step to the item.
func (it Item) Segment() Segment { return ItemSegment(it.Keys, it.Values) }

// KeyItems keys both sides of a list by mergeKey. Where two items on one side share its value,
// both sides' items with that value are keyed by the second list-map key too
// (ports[port=53,protocol=UDP]), with the API server's default where an item leaves it out
// (protocol TCP). ok is false when the list cannot be keyed: an item is not an object or lacks a
// key, or items stay ambiguous.
func KeyItems(mergeKey string, a, b []any) (ai, bi []Item, ok bool) {
	if !AllMaps(a) || !AllMaps(b) {
		return nil, nil, false
	}
	shared := map[string]bool{} // merge key values that need the second key on either side
	for _, list := range [][]any{a, b} {
		seen := make(map[string]bool, len(list))
		for _, it := range list {
			v, ok := KeyValue(it.(map[string]any), mergeKey)
			if !ok {
				return nil, nil, false
			}
			shared[v] = shared[v] || seen[v]
			seen[v] = true
		}
	}
	if ai, ok = keyList(mergeKey, a, shared); !ok {
		return nil, nil, false
	}
	bi, ok = keyList(mergeKey, b, shared)
	return ai, bi, ok
}

func keyList(mergeKey string, list []any, shared map[string]bool) ([]Item, bool) {
	out := make([]Item, 0, len(list))
	ids := make(map[string]bool, len(list))
	keys := []string{mergeKey}       // shared, read only, by the items keyed by the merge key alone
	values := make([]any, len(list)) // their key values, in one array
	for i, it := range list {
		m := it.(map[string]any)
		v, _ := KeyValue(m, mergeKey)
		values[i] = m[mergeKey]
		k := Item{Keys: keys, Values: values[i : i+1 : i+1], ID: v, Obj: m}
		if shared[v] {
			second, sv, ok := secondKey(mergeKey, m)
			if !ok {
				return nil, false
			}
			k.Keys, k.Values, k.ID = []string{mergeKey, second}, []any{m[mergeKey], sv}, v+"\x00"+sv
		}
		if ids[k.ID] {
			return nil, false
		}
		ids[k.ID] = true
		out = append(out, k)
	}
	return out, true
}

// SecondKey is the second list-map key of the built-in lists keyed by more than one field, added
// to an item's path when another item shares its merge key value (a Service port 53 for TCP and
// for UDP).
func SecondKey(mergeKey string) string {
	switch mergeKey {
	case "port", "containerPort":
		return "protocol"
	case "topologyKey":
		return "whenUnsatisfiable"
	default:
		return ""
	}
}

// secondKey is an item's second list-map key and its value, the API's default where the item
// leaves it out.
func secondKey(mergeKey string, item map[string]any) (key, value string, ok bool) {
	key = SecondKey(mergeKey)
	if key == "" {
		return "", "", false
	}
	value, ok = keyValueOrDefault(item, key)
	return key, value, ok
}

func keyValueOrDefault(item map[string]any, key string) (string, bool) {
	if v, ok := KeyValue(item, key); ok {
		return v, true
	}
	return keyDefault(key)
}

// keyDefault is the value the API server gives a list-map key an item leaves out.
func keyDefault(key string) (string, bool) {
	if key == "protocol" {
		return "TCP", true
	}
	return "", false
}

// HasKeys reports whether item is the one whose keys have values (compared as Scalar writes
// them), with the API's default for a key the item leaves out.
func HasKeys(item map[string]any, keys []string, values []any) bool {
	for i, k := range keys {
		v, ok := keyValueOrDefault(item, k)
		if !ok || v != Scalar(values[i]) {
			return false
		}
	}
	return true
}

// KeyValue is an item's scalar value at key; false when absent, null or not a scalar.
func KeyValue(m map[string]any, key string) (string, bool) {
	switch v := m[key].(type) {
	case map[string]any, []any, nil:
		return "", false
	default:
		return Scalar(v), true
	}
}

// AllMaps reports whether every item of list is an object.
func AllMaps(list []any) bool {
	for _, it := range list {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// ListOrNil keeps an absent list absent (nil, not an empty []any) in a reported value.
func ListOrNil(l []any) any {
	if l == nil {
		return nil
	}
	return l
}
