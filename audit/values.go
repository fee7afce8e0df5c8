package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

func isNumber(v any) bool {
	switch v.(type) {
	case float64, int64, int, json.Number:
		return true
	}
	return false
}

// scalarEqual compares two scalars; a number equals the string that spells it (int-or-string:
// a port 8080 is the same whether written 8080 or "8080").
func scalarEqual(a, b any) bool {
	switch {
	case isNumber(a) && isNumber(b):
		fa, errA := strconv.ParseFloat(fieldpath.Scalar(a), 64)
		fb, errB := strconv.ParseFloat(fieldpath.Scalar(b), 64)
		return errA == nil && errB == nil && fa == fb
	case isNumber(a) || isNumber(b):
		_, aStr := a.(string)
		_, bStr := b.(string)
		return (aStr || bStr) && fieldpath.Scalar(a) == fieldpath.Scalar(b)
	default:
		return a == b
	}
}

// quantityEqual compares two resource quantities by value: 1000m = 1, 0.5 = 500m, 1Gi = 1024Mi.
func quantityEqual(a, b any) bool {
	qa, errA := resource.ParseQuantity(fieldpath.Scalar(a))
	qb, errB := resource.ParseQuantity(fieldpath.Scalar(b))
	if errA != nil || errB != nil {
		return false
	}
	return qa.Cmp(qb) == 0
}

// base64Equal compares two Secret data values by their decoded bytes.
func base64Equal(a, b any) bool {
	sa, okA := a.(string)
	sb, okB := b.(string)
	if !okA || !okB {
		return false
	}
	if sa == sb {
		return true
	}
	da, errA := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sa), ""))
	db, errB := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sb), ""))
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// isZero reports whether v is absent or empty: the API omits such values, so absent = empty.
func isZero(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	default:
		return isNumber(v) && fieldpath.Scalar(v) == "0"
	}
}

// deepZero reports whether v holds nothing but empty values (e.g. `creationTimestamp: null`).
// A number is a value even when it is 0: `rollingUpdate: {maxUnavailable: 0}` is not the absent
// struct (the API would default it to 25%).
func deepZero(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return isZero(v) && !isNumber(v)
	}
	for _, x := range m {
		if !deepZero(x) {
			return false
		}
	}
	return true
}
