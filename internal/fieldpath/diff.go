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
			d.maps(om, nm, FieldOf(sch, key), skip)
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

func (d *differ) lists(key string, old, new []any, sch Schema) {
	if equalLists(old, new) {
		return
	}
	mergeKey, items := ListOf(sch, key, old, new)
	if mergeKey != "" {
		if d.inOrder(mergeKey, old, new, items) {
			return
		}
		if oldItems, newItems, ok := KeyItems(mergeKey, old, new); ok {
			d.keyedItems(oldItems, newItems, items)
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

func (d *differ) keyedItems(oldItems, newItems []Item, items Schema) {
	newByID := make(map[string]Item, len(newItems))
	for _, ni := range newItems {
		newByID[ni.ID] = ni
	}
	inOld := make(map[string]bool, len(oldItems))
	for _, oi := range oldItems {
		inOld[oi.ID] = true
		ni, ok := newByID[oi.ID]
		d.push(oi.Segment())
		d.item(oi.Obj, ni.Obj, items, true, ok)
		d.pop()
	}
	for _, ni := range newItems {
		if !inOld[ni.ID] {
			d.push(ni.Segment())
			d.item(nil, ni.Obj, items, false, true)
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
