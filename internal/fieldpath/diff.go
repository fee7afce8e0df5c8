package fieldpath

import (
	"reflect"
	"sort"
)

// Change is one path at which two versions differ. Old or New is nil where the path is absent.
type Change struct {
	Path string `json:"path"`
	Old  any    `json:"old"`
	New  any    `json:"new"`
}

// Diff returns the paths at which old and new differ, in path order. Both are decoded JSON
// (map[string]any, []any, scalars). A map or keyed list absent on one side counts as empty, so an
// addition is reported at its own key or item, never at the map. sch may be nil.
func Diff(old, new map[string]any, sch Schema) []Change {
	var out []Change
	diffMaps(&out, "", old, new, sch)
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func diffMaps(out *[]Change, path string, old, new map[string]any, sch Schema) {
	for k, ov := range old {
		nv, ok := new[k]
		if !ok {
			nv = nil
		}
		diffValue(out, path, k, ov, nv, sch)
	}
	for k, nv := range new {
		if _, ok := old[k]; !ok {
			diffValue(out, path, k, nil, nv, sch)
		}
	}
}

func diffValue(out *[]Change, parent, key string, ov, nv any, sch Schema) {
	path := Key(parent, key)
	om, oIsMap := ov.(map[string]any)
	nm, nIsMap := nv.(map[string]any)
	if (oIsMap || ov == nil) && (nIsMap || nv == nil) && (oIsMap || nIsMap) {
		diffMaps(out, path, om, nm, fieldOf(sch, key))
		return
	}
	ol, oIsList := ov.([]any)
	nl, nIsList := nv.([]any)
	if (oIsList || ov == nil) && (nIsList || nv == nil) && (oIsList || nIsList) {
		diffLists(out, path, key, ol, nl, sch)
		return
	}
	if !reflect.DeepEqual(ov, nv) {
		*out = append(*out, Change{Path: path, Old: ov, New: nv})
	}
}

func fieldOf(sch Schema, key string) Schema {
	if sch == nil {
		return nil
	}
	return sch.Field(key)
}

func diffLists(out *[]Change, path, key string, old, new []any, sch Schema) {
	mergeKey, items := "name", Schema(nil) // unknown kinds (CRDs): name, when every item has one
	if sch != nil {
		if mergeKey, items = sch.List(key); mergeKey == "" {
			mergeKey = "-" // a built-in list without a merge key goes by index
		}
	}
	if keys, oldIdx, newIdx, ok := listKeys(mergeKey, old, new); mergeKey != "-" && ok {
		diffKeyed(out, path, keys, oldIdx, newIdx, items)
		return
	}
	if !allMaps(old) || !allMaps(new) {
		// A list of scalars is one value.
		if !reflect.DeepEqual(old, new) {
			*out = append(*out, Change{Path: path, Old: listOrNil(old), New: listOrNil(new)})
		}
		return
	}
	for i := range max(len(old), len(new)) {
		var om, nm map[string]any
		if i < len(old) {
			om = old[i].(map[string]any)
		}
		if i < len(new) {
			nm = new[i].(map[string]any)
		}
		diffItem(out, Index(path, i), om, nm, items, i < len(old), i < len(new))
	}
}

func diffKeyed(out *[]Change, path string, keys []string, oldIdx, newIdx map[string]keyedItem, items Schema) {
	for id, oi := range oldIdx {
		ni, ok := newIdx[id]
		diffItem(out, Item(path, keys, oi.values), oi.item, ni.item, items, true, ok)
	}
	for id, ni := range newIdx {
		if _, ok := oldIdx[id]; !ok {
			diffItem(out, Item(path, keys, ni.values), nil, ni.item, items, false, true)
		}
	}
}

// diffItem compares one list item; an item on one side only is reported once, whole.
func diffItem(out *[]Change, path string, old, new map[string]any, items Schema, inOld, inNew bool) {
	switch {
	case inOld && !inNew:
		*out = append(*out, Change{Path: path, Old: old})
	case !inOld && inNew:
		*out = append(*out, Change{Path: path, New: new})
	default:
		diffMaps(out, path, old, new, items)
	}
}

type keyedItem struct {
	values []any
	item   map[string]any
}

// indexBy indexes list items by their key values; ok is false when two items share them.
func indexBy(keys []string, list []any) (idx map[string]keyedItem, ok bool) {
	idx = make(map[string]keyedItem, len(list))
	for _, it := range list {
		m := it.(map[string]any)
		vals := make([]any, len(keys))
		var id string
		for i, k := range keys {
			vals[i] = m[k]
			if i == 0 {
				id = scalar(m[k])
			} else {
				id += "\x00" + scalar(m[k])
			}
		}
		if _, dup := idx[id]; dup {
			return nil, false
		}
		idx[id] = keyedItem{values: vals, item: m}
	}
	return idx, true
}

// listKeys picks the item keys of a list: the merge key (else "name" when every item has one),
// plus a second list-map key when the first alone is not unique on either side. It returns both
// sides indexed by those keys.
func listKeys(mergeKey string, old, new []any) ([]string, map[string]keyedItem, map[string]keyedItem, bool) {
	if !allMaps(old) || !allMaps(new) || len(old)+len(new) == 0 {
		return nil, nil, nil, false
	}
	for _, keys := range [][]string{{mergeKey}, {mergeKey, secondKey}} {
		if !allHave(keys, old) || !allHave(keys, new) {
			return nil, nil, nil, false
		}
		oldIdx, okOld := indexBy(keys, old)
		newIdx, okNew := indexBy(keys, new)
		if okOld && okNew {
			return keys, oldIdx, newIdx, true
		}
	}
	return nil, nil, nil, false
}

func allMaps(list []any) bool {
	for _, it := range list {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func allHave(keys []string, list []any) bool {
	for _, it := range list {
		for _, k := range keys {
			v, ok := it.(map[string]any)[k]
			if !ok {
				return false
			}
			switch v.(type) {
			case map[string]any, []any, nil:
				return false
			}
		}
	}
	return true
}

func listOrNil(l []any) any {
	if l == nil {
		return nil
	}
	return l
}
