package audit

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// fieldSet is one manager's managedFields (FieldsV1) below one point of the object.
type fieldSet struct {
	fields map[string]*fieldSet // "f:<name>" children, by name
	items  []keyedSet           // "k:{...}" children
	index  map[int]*fieldSet    // "i:<n>" children
	self   bool                 // "." : the manager owns the node's existence
}

// keyedSet is a keyed-list item of a field set, with the key fields it is matched by.
type keyedSet struct {
	key map[string]string
	set *fieldSet
}

// leaf reports whether the set owns the node whole ({}: a scalar, or an atomic map or list).
func (s *fieldSet) leaf() bool {
	return len(s.fields) == 0 && len(s.items) == 0 && len(s.index) == 0 && !s.self
}

// manager is one managedFields entry.
type manager struct {
	name   string
	apply  bool // operation Apply (server-side apply)
	human  bool
	gitops bool
	root   *fieldSet
}

// managers parses the live object's managedFields; ok is false when it has none.
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
			human:  d.isHuman(name),
			gitops: d.isGitOps(name),
			root:   parseFieldSet(mapOf(m["fieldsV1"])),
		})
	}
	return ms, len(entries) > 0
}

func parseFieldSet(raw map[string]any) *fieldSet {
	s := &fieldSet{}
	for k, v := range raw {
		child := mapOf(v)
		switch {
		case k == ".":
			s.self = true
		case strings.HasPrefix(k, "f:"):
			if s.fields == nil {
				s.fields = map[string]*fieldSet{}
			}
			s.fields[k[2:]] = parseFieldSet(child)
		case strings.HasPrefix(k, "k:"):
			s.items = append(s.items, keyedSet{key: parseItemKey(k[2:]), set: parseFieldSet(child)})
		case strings.HasPrefix(k, "i:"):
			if i, err := strconv.Atoi(k[2:]); err == nil {
				if s.index == nil {
					s.index = map[int]*fieldSet{}
				}
				s.index[i] = parseFieldSet(child)
			}
		}
		// "v:" (items of sets of scalars): driftgate compares scalar lists as one value.
	}
	return s
}

func parseItemKey(raw string) map[string]string {
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil
	}
	key := make(map[string]string, len(m))
	for k, v := range m {
		key[k] = fieldpath.Scalar(v)
	}
	return key
}

// owner is a manager's position in the walk: set is nil when an ancestor was owned whole.
type owner struct {
	m   *manager
	set *fieldSet
}

// whole reports whether the owner owns the current node and everything below it.
func (o owner) whole() bool { return o.set == nil || o.set.leaf() }

// owners are the managers that own the current node or something below it.
type owners []owner

func rootOwners(ms []*manager) owners {
	own := make(owners, 0, len(ms))
	for _, m := range ms {
		own = append(own, owner{m: m, set: m.root})
	}
	return own
}

func (own owners) step(next func(*fieldSet) *fieldSet) owners {
	var out owners
	for _, o := range own {
		if o.whole() {
			out = append(out, owner{m: o.m})
			continue
		}
		if s := next(o.set); s != nil {
			out = append(out, owner{m: o.m, set: s})
		}
	}
	return out
}

func (own owners) key(k string) owners {
	if len(own) == 0 {
		return nil
	}
	return own.step(func(s *fieldSet) *fieldSet { return s.fields[k] })
}

func (own owners) index(i int) owners {
	if len(own) == 0 {
		return nil
	}
	return own.step(func(s *fieldSet) *fieldSet { return s.index[i] })
}

// item steps into the keyed-list item whose key fields match the live item.
func (own owners) item(live map[string]any) owners {
	if len(own) == 0 || live == nil {
		return nil
	}
	return own.step(func(s *fieldSet) *fieldSet {
		for _, it := range s.items {
			if itemMatches(it.key, live) {
				return it.set
			}
		}
		return nil
	})
}

func itemMatches(key map[string]string, item map[string]any) bool {
	if len(key) == 0 {
		return false
	}
	for k, v := range key {
		iv, ok := item[k]
		if !ok || fieldpath.Scalar(iv) != v {
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
