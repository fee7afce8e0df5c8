package fieldpath

import (
	"fmt"
	"strconv"
	"strings"
)

// Parse reads a path of the SPEC notation into its segments; Path(Parse(p)) is p for any path
// Path renders. In a pattern (an ignore rule) a key `*` stands for any key and `[*]` for any
// list item; a key named "*" is written `["*"]`.
func Parse(p string) ([]Segment, error) {
	var segs []Segment
	for i := 0; i < len(p); {
		switch {
		case p[i] == '.' && i > 0 && (i+1 == len(p) || p[i+1] == '.' || p[i+1] == '['):
			return nil, fmt.Errorf("empty key at offset %d", i+1)
		case p[i] == '.' && i > 0:
			i++
		case p[i] == '[':
			seg, n, err := bracket(p[i:])
			if err != nil {
				return nil, err
			}
			segs, i = append(segs, seg), i+n
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("empty key at offset %d", i)
			}
			seg := KeySegment(p[i:j])
			if seg.key == "*" {
				seg.kind = anyKeySegment
			}
			segs, i = append(segs, seg), j
		}
	}
	return segs, nil
}

// bracket reads one "[...]" at the start of s: a quoted map key, a list index, `[*]`, or a
// keyed item. It returns the segment and the bytes read.
func bracket(s string) (Segment, int, error) {
	if strings.HasPrefix(s, `["`) {
		q, err := strconv.QuotedPrefix(s[1:])
		if err != nil || !strings.HasPrefix(s[1+len(q):], "]") {
			return Segment{}, 0, fmt.Errorf("bad quoted key in %q", s)
		}
		key, _ := strconv.Unquote(q)
		return KeySegment(key), len(q) + 2, nil
	}
	end, err := closing(s)
	if err != nil {
		return Segment{}, 0, err
	}
	inner := s[1:end]
	if inner == "*" {
		return Segment{kind: anyItemSegment}, end + 1, nil
	}
	if i, err := strconv.Atoi(inner); err == nil && i >= 0 && strconv.Itoa(i) == inner {
		return IndexSegment(i), end + 1, nil
	}
	seg, err := item(inner)
	if err != nil {
		return Segment{}, 0, fmt.Errorf("%w in %q", err, s[:end+1])
	}
	return seg, end + 1, nil
}

// closing is the offset of the "]" that closes the "[" s starts with, outside quotes.
func closing(s string) (int, error) {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == ']' && !inQuote:
			return i, nil
		}
	}
	return 0, fmt.Errorf("unclosed [ in %q", s)
}

// item reads "k=v,k2=v2" (values may be double-quoted) into an item segment.
func item(inner string) (Segment, error) {
	parts := SplitList(inner)
	keys, values := make([]string, 0, len(parts)), make([]any, 0, len(parts))
	for _, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return Segment{}, fmt.Errorf("item key %q is not name=value", part)
		}
		if strings.HasPrefix(v, `"`) {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return Segment{}, fmt.Errorf("bad quoted value %s", v)
			}
			v = uq
		}
		keys, values = append(keys, k), append(values, v)
	}
	return ItemSegment(keys, values), nil
}

// SplitList splits comma-separated paths, keeping commas inside brackets and quotes
// ("ports[port=53,protocol=UDP]").
func SplitList(s string) []string {
	var out []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '[' && !inQuote:
			depth++
		case c == ']' && !inQuote:
			depth--
		case c == ',' && depth == 0 && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// Matches reports whether path is at or below pattern: each of the pattern's segments names the
// path's segment there, or stands for any key (`*`) or any item (`[*]`).
func Matches(pattern, path []Segment) bool {
	if len(path) < len(pattern) {
		return false
	}
	for i, p := range pattern {
		if !p.matches(path[i]) {
			return false
		}
	}
	return true
}

// Overlap reports whether one of two paths is at or below the other.
func Overlap(a, b []Segment) bool { return Matches(a, b) || Matches(b, a) }

// Lookup returns the value at path in v (decoded JSON) and whether it is present. A keyed item is
// found by its keys, with the API server's default for a key the item leaves out.
func Lookup(v any, path []Segment) (any, bool) {
	for _, seg := range path {
		var ok bool
		if v, ok = Step(v, seg); !ok {
			return nil, false
		}
	}
	return v, true
}

// Step descends one segment from v.
func Step(v any, seg Segment) (any, bool) {
	switch seg.kind {
	case keySegment:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		x, ok := m[seg.key]
		return x, ok
	case indexSegment:
		list, ok := v.([]any)
		if !ok || seg.index >= len(list) {
			return nil, false
		}
		return list[seg.index], true
	case itemSegment:
		list, _ := v.([]any)
		for _, it := range list {
			if m, ok := it.(map[string]any); ok && HasKeys(m, seg.keys, seg.values) {
				return m, true
			}
		}
	}
	return nil, false
}
