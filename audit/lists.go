package audit

import (
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// listKind is how a list is compared.
type listKind int

const (
	scalarList  listKind = iota // one value
	keyedList                   // items by merge key: containers[name=app]
	indexedList                 // items by index: rules[0]
)

// listShape is how one list (both sides of it) is compared.
type listShape struct {
	kind          listKind
	items         fieldpath.Schema
	desired, live []keyedItem // for keyedList
}

// keyedItem is a keyed-list item with the keys its path shows and its identity.
type keyedItem struct {
	keys   []string
	values []any
	id     string
	item   map[string]any
}

// shapeOf decides how the list at n is compared: built-in lists by their merge key (lists
// without one by index, lists of scalars as one value), other lists by `name` when every item
// has one.
func shapeOf(n node, desired, live []any) listShape {
	if !fieldpath.AllMaps(desired) || !fieldpath.AllMaps(live) {
		return listShape{kind: scalarList}
	}
	mergeKey, items := listSchema(n, desired, live)
	if mergeKey == "" {
		return listShape{kind: indexedList, items: items}
	}
	d, l, ok := keyItems(mergeKey, desired, live)
	if !ok {
		return listShape{kind: indexedList, items: items}
	}
	return listShape{kind: keyedList, items: items, desired: d, live: l}
}

func listSchema(n node, desired, live []any) (string, fieldpath.Schema) {
	if _, custom := n.parent.(customSchema); n.parent != nil && !custom {
		return n.parent.List(n.key)
	}
	if everyHas(desired, "name") && everyHas(live, "name") {
		return "name", nil
	}
	return "", nil
}

func everyHas(list []any, key string) bool {
	for _, it := range list {
		if _, ok := fieldpath.KeyValue(it.(map[string]any), key); !ok {
			return false
		}
	}
	return true
}

// keyItems keys both sides by the merge key; where two items on one side share its value, those
// items are keyed by the second list-map key too (ports[port=53,protocol=UDP]).
func keyItems(mergeKey string, desired, live []any) (d, l []keyedItem, ok bool) {
	shared := map[string]bool{}
	for _, list := range [][]any{desired, live} {
		seen := make(map[string]bool, len(list))
		for _, it := range list {
			v, ok := fieldpath.KeyValue(it.(map[string]any), mergeKey)
			if !ok {
				return nil, nil, false
			}
			shared[v] = shared[v] || seen[v]
			seen[v] = true
		}
	}
	if d, ok = keyList(mergeKey, desired, shared); !ok {
		return nil, nil, false
	}
	l, ok = keyList(mergeKey, live, shared)
	return d, l, ok
}

func keyList(mergeKey string, list []any, shared map[string]bool) ([]keyedItem, bool) {
	out := make([]keyedItem, 0, len(list))
	ids := make(map[string]bool, len(list))
	keys := []string{mergeKey}       // shared, read only, by the items keyed by the merge key alone
	values := make([]any, len(list)) // their key values, in one array
	for i, it := range list {
		m := it.(map[string]any)
		v, _ := fieldpath.KeyValue(m, mergeKey)
		values[i] = m[mergeKey]
		k := keyedItem{keys: keys, values: values[i : i+1 : i+1], id: v, item: m}
		if shared[v] {
			second, sv, ok := secondKey(mergeKey, m)
			if !ok {
				return nil, false
			}
			k.keys, k.values, k.id = []string{mergeKey, second}, []any{m[mergeKey], sv}, v+"\x00"+sv
		}
		if ids[k.id] {
			return nil, false
		}
		ids[k.id] = true
		out = append(out, k)
	}
	return out, true
}

// secondKey is the second list-map key of an item (fieldpath.SecondKey), with the API's default
// where the item leaves it out (protocol TCP).
func secondKey(mergeKey string, item map[string]any) (key, value string, ok bool) {
	key = fieldpath.SecondKey(mergeKey)
	if key == "" {
		return "", "", false
	}
	value, ok = fieldpath.KeyValue(item, key)
	if !ok && key == "protocol" {
		return key, "TCP", true
	}
	return key, value, ok
}
