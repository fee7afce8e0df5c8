package audit

import "github.com/driftgate/driftgate/internal/fieldpath"

// Rule 1: a field set in Git whose live value differs semantically.

// compare walks a node Git sets (dv) against its live value (lv, nil when absent).
func (w *walker) compare(n node, dv, lv any) {
	switch {
	case w.skip(n):
		return
	case dv == nil: // `field: null` in Git sets nothing
		w.extra(n, lv)
		return
	case isZero(dv) && w.serverAssigned(n):
		return
	}
	switch d := dv.(type) {
	case map[string]any:
		w.compareObject(n, d, lv)
	case []any:
		w.compareList(n, d, lv)
	default:
		if !w.scalarEqual(n, dv, lv) {
			w.drift(n, dv, lv)
		}
	}
}

// compareObject compares a map or struct. A map absent live counts as empty (its keys are
// compared one by one); a struct absent live is one value.
func (w *walker) compareObject(n node, d map[string]any, lv any) {
	l, ok := lv.(map[string]any)
	switch {
	case lv != nil && !ok:
		w.drift(n, d, lv)
		return
	case lv == nil && !isMapType(n.sch, d):
		if !deepZero(d) {
			w.drift(n, d, nil)
		}
		return
	}
	for k, dv := range d {
		w.compare(w.child(n, k), dv, l[k])
	}
	for k, lv := range l {
		if _, inGit := d[k]; !inGit {
			w.extra(w.child(n, k), lv)
		}
	}
}

func (w *walker) compareList(n node, d []any, lv any) {
	l, ok := lv.([]any)
	switch {
	case lv != nil && !ok:
		w.drift(n, d, lv)
		return
	case len(d) == 0 && len(l) == 0:
		return
	}
	shape := shapeOf(n, d, l)
	switch shape.kind {
	case keyedList:
		w.compareKeyed(n, shape)
	case indexedList:
		w.compareIndexed(n, shape, d, l)
	default:
		if !w.listEqual(n, d, l) {
			w.drift(n, d, fieldpath.ListOrNil(l))
		}
	}
}

// compareKeyed matches items by key: order is not drift.
func (w *walker) compareKeyed(n node, shape listShape) {
	live := make(map[string]fieldpath.Item, len(shape.live))
	for _, it := range shape.live {
		live[it.ID] = it
	}
	inGit := make(map[string]bool, len(shape.desired))
	for _, it := range shape.desired {
		inGit[it.ID] = true
		li, ok := live[it.ID]
		c := w.keyedChild(n, shape, it, li.Obj)
		if !ok {
			w.driftItem(c, it.Obj)
			continue
		}
		w.compare(c, it.Obj, li.Obj)
	}
	for _, it := range shape.live {
		if !inGit[it.ID] {
			w.extraItem(w.keyedChild(n, shape, it, it.Obj), it.Obj)
		}
	}
}

func (w *walker) compareIndexed(n node, shape listShape, d, l []any) {
	for i := range max(len(d), len(l)) {
		c := w.indexChild(n, shape, i)
		switch {
		case i >= len(l):
			w.driftItem(c, d[i])
		case i >= len(d):
			w.extraItem(c, l[i])
		default:
			w.compare(c, d[i], l[i])
		}
	}
}

// driftItem reports an item Git has and the live list lacks.
func (w *walker) driftItem(n node, item any) {
	if !w.skip(n) {
		w.drift(n, item, nil)
	}
}

func (w *walker) listEqual(n node, d, l []any) bool {
	if len(d) != len(l) {
		return false
	}
	for i := range d {
		if !w.scalarEqual(n, d[i], l[i]) {
			return false
		}
	}
	return true
}

// scalarEqual compares leaf values semantically: quantities by value, int-or-string by value,
// Secret data by decoded bytes, an empty Git value equal to an absent live one.
func (w *walker) scalarEqual(n node, d, l any) bool {
	switch {
	case l == nil:
		return isZero(d)
	case scalarEqual(d, l):
		return true
	case w.secret && w.isSecretData(n):
		return base64Equal(d, l)
	case isQuantity(n):
		return quantityEqual(d, l)
	}
	return false
}

// isQuantity reports whether the node holds a resource.Quantity: resource lists (limits,
// requests, quota hard, capacity, ...) and sizeLimit.
func isQuantity(n node) bool {
	if n.key == "sizeLimit" {
		return true
	}
	switch n.parentKey {
	case "limits", "requests", "hard", "used", "capacity", "allocatable", "podFixed",
		"max", "min", "default", "defaultRequest", "maxLimitRequestRatio":
		return true
	}
	return false
}
