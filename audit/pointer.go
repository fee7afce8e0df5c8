package audit

import (
	"fmt"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// PathOf renders a path into o, given as JSON steps (a map key as a string, a list index as an
// int, as a JSON pointer or a jq path names them), in the notation the audit reports drift in
// and ignore rules select by: a list item by its key fields where the audit keys that list (a
// built-in list's merge key, a custom resource's name), by index where it compares by index.
// A step below what o holds is taken as a map key (an index, when it is an int).
func (d *Differ) PathOf(o Object, steps []any) (string, error) {
	segs := make([]fieldpath.Segment, 0, len(steps))
	var v any = o.Content
	sch := d.schemas.ForAPIVersion(o.APIVersion(), o.Kind())
	parentKey := ""
	var parent fieldpath.Schema
	for _, step := range steps {
		switch s := step.(type) {
		case string:
			segs = append(segs, fieldpath.KeySegment(s))
			m, _ := v.(map[string]any)
			v, parent, parentKey = m[s], sch, s
			sch = fieldpath.FieldOf(sch, s)
		case int:
			if s < 0 {
				return "", fmt.Errorf("list index %d", s)
			}
			list, _ := v.([]any)
			seg, items := listItem(parent, parentKey, list, s)
			segs = append(segs, seg)
			v, parent, parentKey = nil, nil, ""
			if s < len(list) {
				v = list[s]
			}
			sch = items
		default:
			return "", fmt.Errorf("step %v is neither a key nor an index", step)
		}
	}
	return fieldpath.Path(segs), nil
}

// listItem is the segment of item i of the list at field key below parent, and the schema of
// its items.
func listItem(parent fieldpath.Schema, key string, list []any, i int) (fieldpath.Segment, fieldpath.Schema) {
	mergeKey, items := fieldpath.ListOf(parent, key, list, list)
	if mergeKey == "" || i >= len(list) {
		return fieldpath.IndexSegment(i), items
	}
	keyed, _, ok := fieldpath.KeyItems(mergeKey, list, list)
	if !ok {
		return fieldpath.IndexSegment(i), items
	}
	return keyed[i].Segment(), items
}
