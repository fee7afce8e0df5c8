package audit

import (
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// lookup returns the value at a path (SPEC notation, already split) and whether it is present.
func lookup(v any, segs pathPattern) (any, bool) {
	for _, seg := range segs {
		var ok bool
		if v, ok = step(v, seg); !ok {
			return nil, false
		}
	}
	return v, true
}

// step descends one segment: a map key, a list index "[3]" or a keyed item "[name=app]".
func step(v any, seg string) (any, bool) {
	if !strings.HasPrefix(seg, "[") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		x, ok := m[seg]
		return x, ok
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	inner := seg[1 : len(seg)-1]
	if i, err := strconv.Atoi(inner); err == nil {
		if i < 0 || i >= len(list) {
			return nil, false
		}
		return list[i], true
	}
	return findItem(list, selector(inner))
}

// selector parses "k=v,k2=v2" (values may be double-quoted).
func selector(inner string) map[string]string {
	sel := map[string]string{}
	for _, part := range splitList(inner) {
		k, val, _ := strings.Cut(part, "=")
		if uq, err := strconv.Unquote(val); err == nil {
			val = uq
		}
		sel[k] = val
	}
	return sel
}

func findItem(list []any, sel map[string]string) (any, bool) {
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if matchesSelector(m, sel) {
			return m, true
		}
	}
	return nil, false
}

func matchesSelector(m map[string]any, sel map[string]string) bool {
	for k, want := range sel {
		got, ok := m[k]
		if !ok || fieldpath.Scalar(got) != want {
			return false
		}
	}
	return true
}

// semanticEqual compares two values as the diff does: absent equals empty, numbers equal the
// strings that spell them, and quantities compare by value (512Mi = 0.5Gi).
func semanticEqual(a, b any) bool {
	switch ta := a.(type) {
	case map[string]any:
		return mapsEqual(ta, b)
	case []any:
		return listsEqual(ta, b)
	}
	if isZero(a) || isZero(b) {
		return isZero(a) && isZero(b) && !isNumber(a) && !isNumber(b) || scalarEqual(a, b)
	}
	return scalarEqual(a, b) || quantityEqual(a, b)
}

func mapsEqual(a map[string]any, bv any) bool {
	b, ok := bv.(map[string]any)
	if !ok {
		return len(a) == 0 && isZero(bv)
	}
	for k, av := range a {
		if !semanticEqual(av, b[k]) {
			return false
		}
	}
	for k, x := range b {
		if _, ok := a[k]; !ok && !isZero(x) {
			return false
		}
	}
	return true
}

func listsEqual(a []any, bv any) bool {
	b, ok := bv.([]any)
	if !ok {
		return len(a) == 0 && isZero(bv)
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !semanticEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}
