package audit

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// A field set is one manager's managedFields (FieldsV1) below one point of the object, read in
// place from the decoded JSON: "f:<name>" children, "k:{...}" keyed-list items, "i:<n>" list
// items, "." (the manager owns the node's existence); "v:" entries (items of sets of scalars) are
// not read: driftgate compares scalar lists as one value.

// leafSet reports whether a field set owns its node whole ({}: a scalar, or an atomic map or
// list): it has no ".", "f:", "k:" or "i:<n>" entry.
func leafSet(set map[string]any) bool {
	if len(set) == 0 {
		return true // most field sets: a scalar's
	}
	for k := range set {
		switch {
		case k == ".", strings.HasPrefix(k, "f:"), strings.HasPrefix(k, "k:"):
			return false
		default:
			if _, ok := listIndex(k); ok {
				return false
			}
		}
	}
	return true
}

// fieldSetOf is the field set v holds; a value that is not one (malformed managedFields) owns its
// node whole, like {}.
func fieldSetOf(v any) map[string]any {
	if s, ok := v.(map[string]any); ok && s != nil {
		return s
	}
	return map[string]any{}
}

// listIndex is the index of an "i:<n>" entry.
func listIndex(k string) (int, bool) {
	if !strings.HasPrefix(k, "i:") {
		return 0, false
	}
	i, err := strconv.Atoi(k[2:])
	return i, err == nil
}

// manager is one managedFields entry.
type manager struct {
	name   string
	apply  bool // operation Apply (server-side apply)
	human  bool
	gitops bool
	time   string // when the manager last wrote (RFC 3339); "" when not recorded
	root   map[string]any
	keys   map[string]keyFields // parsed "k:" keys, by their JSON
}

// managers reads the live object's managedFields; ok is false when it has none.
func (d *Differ) managers(live Object) (ms []*manager, ok bool) {
	entries, _ := live.metadata()["managedFields"].([]any)
	for _, e := range entries {
		m := mapOf(e)
		if m == nil || str(m["subresource"]) == "status" {
			continue
		}
		name := str(m["manager"])
		ms = append(ms, &manager{
			name:   name,
			apply:  str(m["operation"]) == "Apply",
			human:  d.IsHuman(name),
			gitops: d.isGitOps(name),
			time:   str(m["time"]),
			root:   fieldSetOf(m["fieldsV1"]),
		})
	}
	return ms, len(entries) > 0
}

// itemKey is a keyed item's key parsed, once per manager.
func (m *manager) itemKey(raw string) keyFields {
	if key, ok := m.keys[raw]; ok {
		return key
	}
	if m.keys == nil {
		m.keys = map[string]keyFields{}
	}
	key := parseItemKey(raw)
	m.keys[raw] = key
	return key
}

// keyFields are the key of a keyed item in a field set: each key field once, with its value as
// fieldpath.Scalar writes it.
type keyFields []keyField

type keyField struct{ name, value string }

// parseItemKey parses the key of a keyed item, e.g. {"containerPort":8080,"protocol":"TCP"}; nil
// when it is not a JSON object. The common shape is read directly (parseFlatKey), anything else
// through encoding/json, with the same fields.
func parseItemKey(raw string) keyFields {
	if key, ok := parseFlatKey(raw); ok {
		return key
	}
	return parseItemKeyJSON(raw)
}

func parseItemKeyJSON(raw string) keyFields {
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil
	}
	key := make(keyFields, 0, len(m))
	for k, v := range m {
		key = append(key, keyField{name: k, value: fieldpath.Scalar(v)})
	}
	return key
}

// owner is a manager's position in the walk.
type owner struct {
	m   *manager
	set map[string]any // the manager's field set at the node; nil when an ancestor was owned whole
	all bool           // the manager owns the node and everything below it
}

func ownerAt(m *manager, set map[string]any) owner {
	return owner{m: m, set: set, all: leafSet(set)}
}

// whole reports whether the owner owns the current node and everything below it.
func (o owner) whole() bool { return o.all }

// self reports whether the owner owns the node's existence (".").
func (o owner) self() bool {
	_, ok := o.set["."]
	return ok
}

// owners are the managers that own the current node or something below it.
type owners []owner

func rootOwners(ms []*manager) owners {
	own := make(owners, 0, len(ms))
	for _, m := range ms {
		own = append(own, ownerAt(m, m.root))
	}
	return own
}

// step moves each owner to a child node: next finds the child's field set, if the owner has one.
func (own owners) step(next func(owner) (map[string]any, bool)) owners {
	var out owners
	for _, o := range own {
		if o.all {
			out = append(out, owner{m: o.m, all: true})
			continue
		}
		if s, ok := next(o); ok {
			out = append(out, ownerAt(o.m, s))
		}
	}
	return out
}

func (own owners) key(k string) owners {
	if len(own) == 0 {
		return nil
	}
	return own.step(func(o owner) (map[string]any, bool) {
		v, ok := o.set["f:"+k]
		if !ok {
			return nil, false
		}
		return fieldSetOf(v), true
	})
}

func (own owners) index(i int) owners {
	if len(own) == 0 {
		return nil
	}
	return own.step(func(o owner) (map[string]any, bool) {
		for k, v := range o.set {
			if n, ok := listIndex(k); ok && n == i {
				return fieldSetOf(v), true
			}
		}
		return nil, false
	})
}

// item steps into the keyed-list item whose key fields match the live item.
func (own owners) item(live map[string]any) owners {
	if len(own) == 0 || live == nil {
		return nil
	}
	return own.step(func(o owner) (map[string]any, bool) {
		for k, v := range o.set {
			if strings.HasPrefix(k, "k:") && itemMatches(o.m.itemKey(k[2:]), live) {
				return fieldSetOf(v), true
			}
		}
		return nil, false
	})
}

func itemMatches(key keyFields, item map[string]any) bool {
	if len(key) == 0 {
		return false
	}
	for _, f := range key {
		iv, ok := item[f.name]
		if !ok || fieldpath.Scalar(iv) != f.value {
			return false
		}
	}
	return true
}

// first returns the first owner matching pick, preferring people's tools.
func (own owners) first(pick func(owner) bool) (owner, bool) {
	for _, human := range []bool{true, false} {
		for _, o := range own {
			if o.m.human == human && pick(o) {
				return o, true
			}
		}
	}
	return owner{}, false
}

// managerName names who last wrote the node: a person's tool when one owns it, else any owner.
func (own owners) managerName() string {
	o, ok := own.first(func(owner) bool { return true })
	if !ok {
		return ""
	}
	return o.m.name
}
