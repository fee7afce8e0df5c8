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
	desired, live []fieldpath.Item // for keyedList
}

// shapeOf decides how the list at n is compared, by the SPEC's list identity (fieldpath.ListOf,
// fieldpath.KeyItems); a list of scalars is one value.
func shapeOf(n node, desired, live []any) listShape {
	if !fieldpath.AllMaps(desired) || !fieldpath.AllMaps(live) {
		return listShape{kind: scalarList}
	}
	mergeKey, items := fieldpath.ListOf(n.parent, n.key, desired, live)
	if mergeKey == "" {
		return listShape{kind: indexedList, items: items}
	}
	d, l, ok := fieldpath.KeyItems(mergeKey, desired, live)
	if !ok {
		return listShape{kind: indexedList, items: items}
	}
	return listShape{kind: keyedList, items: items, desired: d, live: l}
}
