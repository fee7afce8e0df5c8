package fieldpath

import (
	"fmt"
	"strconv"
	"strings"
)

// Key appends a map key to path: ".key", or `["key"]` when key is not [A-Za-z0-9_-]+.
func Key(path, key string) string {
	var b strings.Builder
	b.WriteString(path)
	writeKey(&b, key)
	return b.String()
}

// Segment is one step of a path: a map key, a keyed-list item or a list index. A walk keeps the
// path to where it is as a stack of segments and renders it (Path) only when it needs it, mostly
// where it finds a change: rendering every visited path would cost more than the walk.
type Segment struct {
	kind   segmentKind
	key    string
	keys   []string
	values []any
	index  int
}

type segmentKind uint8

const (
	keySegment segmentKind = iota
	itemSegment
	indexSegment
	anyKeySegment  // `*` in a pattern
	anyItemSegment // `[*]` in a pattern
)

// KeySegment is the step to a map key.
func KeySegment(key string) Segment { return Segment{kind: keySegment, key: key} }

// ItemSegment is the step to the keyed-list item whose keys have values.
func ItemSegment(keys []string, values []any) Segment {
	return Segment{kind: itemSegment, keys: keys, values: values}
}

// IndexSegment is the step to a list index.
func IndexSegment(i int) Segment { return Segment{kind: indexSegment, index: i} }

// MapKey returns the map key s steps to; ok is false for a list item or index.
func (s Segment) MapKey() (key string, ok bool) { return s.key, s.kind == keySegment }

// Index returns the list index s steps to; ok is false for anything else.
func (s Segment) Index() (i int, ok bool) { return s.index, s.kind == indexSegment }

// Path renders segs in one piece: Path of KeySegment("spec"), KeySegment("replicas") is
// "spec.replicas".
func Path(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		switch s.kind {
		case itemSegment:
			writeItem(&b, s.keys, s.values)
		case indexSegment:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case anyKeySegment:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteByte('*')
		case anyItemSegment:
			b.WriteString("[*]")
		default:
			writeKey(&b, s.key)
		}
	}
	return b.String()
}

// writeKey writes a map key after what b holds (see Key).
func writeKey(b *strings.Builder, key string) {
	if !plainKey(key) {
		b.WriteByte('[')
		b.WriteString(strconv.Quote(key))
		b.WriteByte(']')
		return
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(key)
}

// writeItem writes a keyed-list item after what b holds (see Item).
func writeItem(b *strings.Builder, keys []string, values []any) {
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

// IsItem reports whether s steps into a list: an item, an index or `[*]`.
func (s Segment) IsItem() bool { return s.kind != keySegment && s.kind != anyKeySegment }

// Equal reports whether s and o name the same step; item key values compare as Scalar writes
// them, so a parsed path equals the path it was rendered from.
func (s Segment) Equal(o Segment) bool {
	if s.kind != o.kind || s.key != o.key || s.index != o.index || len(s.keys) != len(o.keys) {
		return false
	}
	for i := range s.keys {
		if s.keys[i] != o.keys[i] || Scalar(s.values[i]) != Scalar(o.values[i]) {
			return false
		}
	}
	return true
}

// matches reports whether the pattern segment s names path segment o.
func (s Segment) matches(o Segment) bool {
	switch s.kind {
	case anyKeySegment:
		return o.kind == keySegment
	case anyItemSegment:
		return o.kind == itemSegment || o.kind == indexSegment
	default:
		return s.Equal(o)
	}
}
