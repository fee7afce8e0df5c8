package jsonpair

import (
	"errors"
	"fmt"
)

// maxDepth bounds nesting as the decoder does (goccy/go-json allows 10,000 levels).
const maxDepth = 10000

var (
	errEnd       = errors.New("unexpected end of JSON input")
	errNotObject = errors.New("not a JSON object")
)

// tape is the structure of one JSON document, found in one pass: every value's span, in
// document order, with the span of the key it is the value of (in an object) and the position
// of the first value after its own subtree. The contents of strings, numbers and literals are
// not checked here; they are checked when they are decoded.
type tape struct {
	b     []byte
	s     string // b as a string, when the whole document is decoded; strings are slices of it
	nodes []node
}

type node struct {
	start, end int32 // the value: b[start:end]
	kStart     int32 // the key, quotes included, in an object; b[kStart:kEnd]
	kEnd       int32
	after      int32 // the first node after this one's subtree; children are [i+1, after)
}

func (n *node) span(b []byte) []byte { return b[n.start:n.end] }
func (n *node) key(b []byte) []byte  { return b[n.kStart:n.kEnd] }

// scan builds the tape of b, which must be one JSON value with optional surrounding whitespace,
// in nodes (a slice to reuse, or nil).
func scan(b []byte, nodes []node) (*tape, error) {
	if len(b) > 1<<31-1 {
		return nil, fmt.Errorf("JSON document of %d bytes is too large", len(b))
	}
	if cap(nodes) < len(b)/16 {
		nodes = make([]node, 0, len(b)/16)
	}
	t := &tape{b: b, nodes: nodes[:0]}
	i, err := t.value(skip(b, 0), 0, 0, 0)
	if err == nil && skip(b, i) != len(b) {
		err = syntaxError(b, skip(b, i), "after the top-level value")
	}
	return t, err
}

// value records the value at b[i] and returns the offset after it.
func (t *tape) value(i int, kStart, kEnd int32, depth int) (int, error) {
	b := t.b
	if i >= len(b) {
		return 0, errEnd
	}
	at := len(t.nodes)
	t.nodes = append(t.nodes, node{start: int32(i), kStart: kStart, kEnd: kEnd})
	var end int
	var err error
	switch c := b[i]; c {
	case '{', '[':
		if depth >= maxDepth {
			return 0, fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
		}
		if c == '{' {
			end, err = t.object(i, depth+1)
		} else {
			end, err = t.array(i, depth+1)
		}
	case '"':
		end, err = stringEnd(b, i)
	case ',', ':', '}', ']':
		return 0, syntaxError(b, i, "where a value belongs")
	default:
		end = i
		for end < len(b) && literal(b[end]) {
			end++
		}
	}
	if err != nil {
		return 0, err
	}
	t.nodes[at].end, t.nodes[at].after = int32(end), int32(len(t.nodes))
	return end, nil
}

func (t *tape) object(i, depth int) (int, error) {
	b := t.b
	if i = skip(b, i+1); i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return 0, errEnd
		}
		if b[i] != '"' {
			return 0, syntaxError(b, i, "where an object key belongs")
		}
		kEnd, err := stringEnd(b, i)
		if err != nil {
			return 0, err
		}
		kStart := i
		if i = skip(b, kEnd); i >= len(b) || b[i] != ':' {
			return 0, syntaxError(b, i, "after an object key, where ':' belongs")
		}
		if i, err = t.value(skip(b, i+1), int32(kStart), int32(kEnd), depth); err != nil {
			return 0, err
		}
		if i, err = next(b, skip(b, i), '}'); err != nil || b[i-1] == '}' {
			return i, err
		}
		i = skip(b, i)
	}
}

func (t *tape) array(i, depth int) (int, error) {
	b := t.b
	if i = skip(b, i+1); i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = t.value(i, 0, 0, depth); err != nil {
			return 0, err
		}
		if i, err = next(b, skip(b, i), ']'); err != nil || b[i-1] == ']' {
			return i, err
		}
		i = skip(b, i)
	}
}

// next reads the ',' or the closing byte after a member or item and returns the offset after it.
func next(b []byte, i int, closing byte) (int, error) {
	switch {
	case i >= len(b):
		return 0, errEnd
	case b[i] == ',' || b[i] == closing:
		return i + 1, nil
	default:
		return 0, syntaxError(b, i, fmt.Sprintf("where ',' or '%c' belongs", closing))
	}
}

// stringEnd returns the offset after the string that starts at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errEnd
}

func skip(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// literal reports the bytes numbers, true, false and null are written with, and the letters of
// misspellings of them (which the decoder then refuses).
func literal(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'
}

func syntaxError(b []byte, i int, where string) error {
	if i >= len(b) {
		return errEnd
	}
	return fmt.Errorf("invalid character %q at offset %d %s", b[i], i, where)
}
