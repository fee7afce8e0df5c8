package fieldpath

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNoItem is Set's error when a path goes below a list item that is not there.
var ErrNoItem = errors.New("no item")

// Set sets (or, with remove, removes) the value at path inside decoded JSON (map[string]any,
// []any, scalars), finding list items as Step does, and returns the changed value. Maps on the
// way are made; a missing item is appended when path ends at it, and is an error wrapping
// ErrNoItem when path goes below it. Removing what is not there changes nothing.
func Set(cur any, path []Segment, value any, remove bool) (any, error) {
	if len(path) == 0 {
		return value, nil
	}
	seg, rest := path[0], path[1:]
	if key, ok := seg.MapKey(); ok {
		m, _ := cur.(map[string]any)
		if m == nil {
			if remove {
				return cur, nil
			}
			m = map[string]any{}
		}
		if len(rest) == 0 && remove {
			delete(m, key)
			return m, nil
		}
		child, err := Set(m[key], rest, value, remove)
		if err != nil {
			return nil, err
		}
		m[key] = child
		return m, nil
	}
	list, _ := cur.([]any)
	for i, it := range list {
		if j, isIndex := seg.Index(); isIndex && j != i {
			continue
		} else if _, ok := Step([]any{it}, seg); !isIndex && !ok {
			continue
		}
		if len(rest) == 0 && remove {
			return slices.Delete(list, i, i+1), nil
		}
		child, err := Set(it, rest, value, remove)
		if err != nil {
			return nil, err
		}
		list[i] = child
		return list, nil
	}
	switch {
	case remove:
		return cur, nil
	case len(rest) == 0:
		return append(list, value), nil
	}
	return nil, fmt.Errorf("%w %s", ErrNoItem, Path([]Segment{seg}))
}
