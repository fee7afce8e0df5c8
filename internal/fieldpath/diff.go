package fieldpath

import (
	"reflect"
	"slices"
	"strings"
)

// Change is one path at which two versions differ. Old or New is nil where the path is absent.
type Change struct {
	Path string `json:"path"`
	Old  any    `json:"old"`
	New  any    `json:"new"`
}

// Diff returns the paths at which old and new differ, in path order. Both are decoded JSON
// (map[string]any, []any, scalars). A map or keyed list absent on one side counts as empty, so an
// addition is reported at its own key or item, never at the map. sch and skip may be nil.
func Diff(old, new map[string]any, sch Schema, skip Skip) []Change {
	d := &differ{segs: make([]Segment, 0, 16)} // deeper than most objects go
	d.maps(old, new, sch, skip)
	slices.SortFunc(d.out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return d.out
}

// Skip names the map keys a Diff leaves out, from the top of the object down through maps: a key
// mapped to nil is left out whole, a key mapped to a Skip is compared except for what that names.
// Skip{"status": nil, "metadata": {"resourceVersion": nil}} compares neither the status nor the
// resource version.
type Skip map[string]Skip

// at returns what to skip below key, and whether key is skipped whole.
func (s Skip) at(key string) (below Skip, whole bool) {
	if s == nil {
		return nil, false
	}
	below, ok := s[key]
	return below, ok && below == nil
}

// differ walks two objects. The path is a stack of segments rendered only when a change is found.
type differ struct {
	segs []Segment
	out  []Change
}

func (d *differ) push(s Segment) { d.segs = append(d.segs, s) }
func (d *differ) pop()           { d.segs = d.segs[:len(d.segs)-1] }

func (d *differ) change(old, new any) {
	d.out = append(d.out, Change{Path: Path(d.segs), Old: old, New: new})
}

func (d *differ) maps(old, new map[string]any, sch Schema, skip Skip) {
	inBoth := 0
	for k, ov := range old {
		nv, ok := new[k]
		if ok {
			inBoth++
		}
		if below, whole := skip.at(k); !whole {
			d.value(k, ov, nv, sch, below)
		}
	}
	if inBoth == len(new) {
		return // new has no key old lacks
	}
	for k, nv := range new {
		if _, ok := old[k]; ok {
			continue
		}
		if below, whole := skip.at(k); !whole {
			d.value(k, nil, nv, sch, below)
		}
	}
}

func (d *differ) value(key string, ov, nv any, sch Schema, skip Skip) {
	d.push(KeySegment(key))
	defer d.pop()
	om, oIsMap := ov.(map[string]any)
	nm, nIsMap := nv.(map[string]any)
	if (oIsMap || ov == nil) && (nIsMap || nv == nil) && (oIsMap || nIsMap) {
		// Most of an object is unchanged, and what is unchanged the two versions share (see
		// package jsonpair): a shared map holds no change. Walking an equal map that is not
		// shared finds none either, only more slowly.
		if !sameMap(om, nm) {
			d.maps(om, nm, fieldOf(sch, key), skip)
		}
		return
	}
	ol, oIsList := ov.([]any)
	nl, nIsList := nv.([]any)
	if (oIsList || ov == nil) && (nIsList || nv == nil) && (oIsList || nIsList) {
		d.lists(key, ol, nl, sch)
		return
	}
	if !equal(ov, nv) {
		d.change(ov, nv)
	}
}

func fieldOf(sch Schema, key string) Schema {
	if sch == nil {
		return nil
	}
	return sch.Field(key)
}

func (d *differ) lists(key string, old, new []any, sch Schema) {
	if equalLists(old, new) {
		return
	}
	mergeKey, items := "name", Schema(nil) // unknown kinds (CRDs): name, when every item has one
	if sch != nil {
		if mergeKey, items = sch.List(key); mergeKey == "" {
			mergeKey = "-" // a built-in list without a merge key goes by index
		}
	}
	if mergeKey != "-" {
		if d.inOrder(mergeKey, old, new, items) {
			return
		}
		if oldIdx, newIdx, ok := keyed(mergeKey, old, new); ok {
			d.keyedItems(oldIdx, newIdx, items)
			return
		}
	}
	if !AllMaps(old) || !AllMaps(new) {
		// A list of scalars is one value.
		d.change(ListOrNil(old), ListOrNil(new))
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
		d.push(IndexSegment(i))
		d.item(om, nm, items, i < len(old), i < len(new))
		d.pop()
	}
}

// inOrder compares a keyed list whose items are where they were: the same merge key values, all
// different, in the same order. That is most updates, and it needs no index of either side. It
// reports false, having compared nothing, for any other list.
func (d *differ) inOrder(mergeKey string, old, new []any, items Schema) bool {
	if len(old) != len(new) || len(old) > maxInOrder {
		return false
	}
	var ids [maxInOrder]string
	for i := range old {
		om, oOK := old[i].(map[string]any)
		nm, nOK := new[i].(map[string]any)
		if !oOK || !nOK {
			return false
		}
		ov, oOK := KeyValue(om, mergeKey)
		nv, nOK := KeyValue(nm, mergeKey)
		if !oOK || !nOK || ov != nv || slices.Contains(ids[:i], ov) {
			return false
		}
		ids[i] = ov
	}
	for i := range old {
		om, nm := old[i].(map[string]any), new[i].(map[string]any)
		if !equal(om, nm) {
			d.push(ItemSegment([]string{mergeKey}, []any{om[mergeKey]}))
			d.maps(om, nm, items, nil)
			d.pop()
		}
	}
	return true
}

// maxInOrder bounds the lists inOrder takes: it checks the merge key values are all different
// by comparing each with those before it.
const maxInOrder = 16

func (d *differ) keyedItems(oldIdx, newIdx map[string]keyedItem, items Schema) {
	for id, oi := range oldIdx {
		ni, ok := newIdx[id]
		d.push(ItemSegment(oi.keys, oi.values))
		d.item(oi.item, ni.item, items, true, ok)
		d.pop()
	}
	for id, ni := range newIdx {
		if _, ok := oldIdx[id]; !ok {
			d.push(ItemSegment(ni.keys, ni.values))
			d.item(nil, ni.item, items, false, true)
			d.pop()
		}
	}
}

// item compares one list item; an item on one side only is reported once, whole.
func (d *differ) item(old, new map[string]any, items Schema, inOld, inNew bool) {
	switch {
	case inOld && !inNew:
		d.change(old, nil)
	case !inOld && inNew:
		d.change(nil, new)
	case !equal(old, new):
		d.maps(old, new, items, nil)
	}
}

// equal compares decoded JSON without reflection for the common shapes. A map or list both
// versions share (see package jsonpair) is equal without a look inside.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if sameMap(x, y) {
			return true
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && equalLists(x, y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
	default:
		return reflect.DeepEqual(a, b)
	}
}

// equalLists is equal for lists. A list both versions share is equal without a look inside.
func equalLists(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	if len(x) > 0 && &x[0] == &y[0] {
		return true
	}
	for i := range x {
		if !equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

// sameMap reports whether x and y are one map.
func sameMap(x, y map[string]any) bool {
	return reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
}

type keyedItem struct {
	keys   []string
	values []any
	item   map[string]any
}

// keyed indexes both sides of a list by the merge key. An item whose merge key value another item
// on the same side shares is keyed by the second list-map key too; items are matched across sides
// by the same keys. ok is false when the list cannot be keyed (an item lacks the key, or items
// stay ambiguous).
func keyed(mergeKey string, old, new []any) (oldIdx, newIdx map[string]keyedItem, ok bool) {
	if !AllMaps(old) || !AllMaps(new) || len(old)+len(new) == 0 {
		return nil, nil, false
	}
	second := SecondKey(mergeKey)
	shared := map[string]bool{} // merge key values that need the second key on either side
	for _, list := range [][]any{old, new} {
		seen := make(map[string]bool, len(list))
		for _, it := range list {
			v, ok := KeyValue(it.(map[string]any), mergeKey)
			if !ok {
				return nil, nil, false
			}
			if seen[v] {
				shared[v] = true
			}
			seen[v] = true
		}
	}
	if len(shared) > 0 && second == "" {
		return nil, nil, false
	}
	if oldIdx, ok = index(old, mergeKey, second, shared); !ok {
		return nil, nil, false
	}
	newIdx, ok = index(new, mergeKey, second, shared)
	return oldIdx, newIdx, ok
}

func index(list []any, mergeKey, second string, shared map[string]bool) (map[string]keyedItem, bool) {
	idx := make(map[string]keyedItem, len(list))
	for _, it := range list {
		m := it.(map[string]any)
		v, _ := KeyValue(m, mergeKey)
		k := keyedItem{keys: []string{mergeKey}, values: []any{m[mergeKey]}, item: m}
		id := v
		if shared[v] {
			sv, ok := KeyValue(m, second)
			if !ok {
				return nil, false
			}
			k.keys, k.values = []string{mergeKey, second}, []any{m[mergeKey], m[second]}
			id = v + "\x00" + sv
		}
		if _, dup := idx[id]; dup {
			return nil, false
		}
		idx[id] = k
	}
	return idx, true
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
