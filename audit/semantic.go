package audit

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
