package audit

import (
	"strconv"
	"unicode/utf8"
)

// parseFlatKey reads a keyed item's key when it is a flat JSON object of plain values: strings
// without escapes, integers, booleans, null. It gives what parseItemKeyJSON gives for it; ok is
// false for anything else (escapes, fractions, nesting, malformed JSON), which is left to
// encoding/json.
func parseFlatKey(raw string) (key keyFields, ok bool) {
	s := keyScanner{s: raw}
	if !s.consume('{') {
		return nil, false
	}
	key = make(keyFields, 0, 2)
	if s.consume('}') {
		return key, s.end()
	}
	for {
		k, ok := s.str()
		if !ok || !s.consume(':') {
			return nil, false
		}
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		key = key.with(k, v)
		switch {
		case s.consume(','):
		case s.consume('}'):
			return key, s.end()
		default:
			return nil, false
		}
	}
}

// with sets a field's value: a name given twice keeps its last value, as in encoding/json.
func (key keyFields) with(name, value string) keyFields {
	for i := range key {
		if key[i].name == name {
			key[i].value = value
			return key
		}
	}
	return append(key, keyField{name: name, value: value})
}

// keyScanner reads JSON tokens from s, from offset i.
type keyScanner struct {
	s string
	i int
}

func (k *keyScanner) skipSpace() {
	for k.i < len(k.s) {
		switch k.s[k.i] {
		case ' ', '\t', '\n', '\r':
			k.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c comes next.
func (k *keyScanner) consume(c byte) bool {
	k.skipSpace()
	if k.i < len(k.s) && k.s[k.i] == c {
		k.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (k *keyScanner) end() bool {
	k.skipSpace()
	return k.i == len(k.s)
}

// str reads a string without escapes or control characters, in valid UTF-8.
func (k *keyScanner) str() (string, bool) {
	if !k.consume('"') {
		return "", false
	}
	for j := k.i; j < len(k.s); j++ {
		switch c := k.s[j]; {
		case c == '"':
			v := k.s[k.i:j]
			k.i = j + 1
			return v, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// value reads a string, an integer, true, false or null, as fieldpath.Scalar writes its decoded
// value.
func (k *keyScanner) value() (string, bool) {
	k.skipSpace()
	if k.i == len(k.s) {
		return "", false
	}
	switch c := k.s[k.i]; {
	case c == '"':
		return k.str()
	case c == '-' || c >= '0' && c <= '9':
		return k.integer()
	}
	for _, lit := range [...]struct{ json, scalar string }{{"true", "true"}, {"false", "false"}, {"null", ""}} {
		if len(k.s)-k.i >= len(lit.json) && k.s[k.i:k.i+len(lit.json)] == lit.json {
			k.i += len(lit.json)
			return lit.scalar, true
		}
	}
	return "", false
}

// integer reads -?(0|[1-9][0-9]*), which must not go on as a fraction or exponent, and writes it
// as its float64 (the type encoding/json decodes numbers to) is written.
func (k *keyScanner) integer() (string, bool) {
	start := k.i
	if k.s[k.i] == '-' {
		k.i++
	}
	digits := k.i
	for k.i < len(k.s) && k.s[k.i] >= '0' && k.s[k.i] <= '9' {
		k.i++
	}
	switch n := k.i - digits; {
	case n == 0, n > 1 && k.s[digits] == '0':
		return "", false
	}
	if k.i < len(k.s) {
		switch k.s[k.i] {
		case '.', 'e', 'E':
			return "", false
		}
	}
	f, err := strconv.ParseFloat(k.s[start:k.i], 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}
