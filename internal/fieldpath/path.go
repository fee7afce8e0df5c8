package fieldpath

import (
	"fmt"
	"strconv"
	"strings"
)

// Key appends a map key to path: ".key", or `["key"]` when key is not [A-Za-z0-9_-]+.
func Key(path, key string) string {
	if plainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// Item appends a keyed-list item to path: "[name=app]" or "[port=53,protocol=UDP]".
func Item(path string, keys []string, values []any) string {
	var b strings.Builder
	b.WriteString(path)
	b.WriteByte('[')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(itemValue(Scalar(values[i])))
	}
	b.WriteByte(']')
	return b.String()
}

// Index appends a list index to path: "[0]".
func Index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// itemValue quotes a key value that would break the notation (brackets, commas, quotes, '=').
func itemValue(v string) string {
	if v == "" || strings.ContainsAny(v, "[]=,\" \t\n") {
		return strconv.Quote(v)
	}
	return v
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Scalar renders a decoded JSON scalar as a key or a number is written in a path; nil is "".
func Scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case nil:
		return ""
	default:
		return fmt.Sprint(t)
	}
}
