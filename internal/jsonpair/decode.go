package jsonpair

import (
	"iter"
	"strconv"

	json "github.com/goccy/go-json"
)

// decode decodes node i as goccy/go-json decodes it into an any: the common forms here (strings
// of printable ASCII without escapes, numbers in JSON's grammar, literals), anything else by
// goccy/go-json itself.
func (t *tape) decode(i int32) (any, error) {
	n := &t.nodes[i]
	span := n.span(t.b)
	switch span[0] {
	case '{':
		m := make(map[string]any, t.count(i))
		for c := range t.children(i) {
			k, err := t.key(c)
			if err != nil {
				return nil, err
			}
			if m[k], err = t.decode(c); err != nil {
				return nil, err
			}
		}
		return m, nil
	case '[':
		l := make([]any, 0, t.count(i))
		for c := range t.children(i) {
			v, err := t.decode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case '"':
		if plain(span[1 : len(span)-1]) {
			return t.str(n.start+1, n.end-1), nil
		}
	case 't':
		if string(span) == "true" {
			return true, nil
		}
	case 'f':
		if string(span) == "false" {
			return false, nil
		}
	case 'n':
		if string(span) == "null" {
			return nil, nil
		}
	default:
		if number(span) {
			if f, err := strconv.ParseFloat(t.str(n.start, n.end), 64); err == nil {
				return f, nil
			}
		}
	}
	var v any
	if err := json.Unmarshal(span, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// key decodes the key of member i.
func (t *tape) key(i int32) (string, error) {
	n := &t.nodes[i]
	if plain(t.b[n.kStart+1 : n.kEnd-1]) {
		return t.str(n.kStart+1, n.kEnd-1), nil
	}
	var k string
	err := json.Unmarshal(n.key(t.b), &k)
	return k, err
}

// keyBytes is the key of member i as bytes: in place when it is plain, else decoded.
func (t *tape) keyBytes(i int32) ([]byte, error) {
	n := &t.nodes[i]
	if inner := t.b[n.kStart+1 : n.kEnd-1]; plain(inner) {
		return inner, nil
	}
	k, err := t.key(i)
	return []byte(k), err
}

func (t *tape) str(start, end int32) string {
	if t.s != "" {
		return t.s[start:end]
	}
	return string(t.b[start:end])
}

// children are the nodes of node i's members or items.
func (t *tape) children(i int32) iter.Seq[int32] {
	return func(yield func(int32) bool) {
		for c := i + 1; c < t.nodes[i].after; c = t.nodes[c].after {
			if !yield(c) {
				return
			}
		}
	}
}

func (t *tape) count(i int32) int {
	n := 0
	for c := i + 1; c < t.nodes[i].after; c = t.nodes[c].after {
		n++
	}
	return n
}

// plain reports string contents that decode to themselves: printable ASCII without escapes.
func plain(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c >= 0x80 || c == '\\' {
			return false
		}
	}
	return true
}

// number reports whether s is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(s, i+1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

func digits(s []byte, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
