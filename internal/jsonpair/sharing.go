package jsonpair

import (
	"bytes"

	json "github.com/goccy/go-json"
)

// Base is one decoded version of an object, which another version can be decoded against.
type Base struct {
	// Object is the decoded object; nil for an absent one (empty input or null).
	Object map[string]any
	tape   *tape
}

// NewBase decodes raw, a JSON object.
func NewBase(raw []byte) (*Base, error) {
	if absent(raw) {
		return &Base{}, nil
	}
	t, err := scan(raw)
	if err != nil {
		return nil, err
	}
	t.s = string(raw) // one copy that every string value and key is a slice of
	v, err := t.decode(0)
	if err != nil {
		return nil, err
	}
	if v == nil { // null with spaces around it
		return &Base{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, notAnObject(raw)
	}
	return &Base{Object: m, tape: t}, nil
}

// Decode decodes raw, a JSON object, sharing with the base every value raw holds byte for byte
// at the same place: that value is the base's own, not a copy. Empty input and null decode to nil.
func (b *Base) Decode(raw []byte) (map[string]any, error) {
	if absent(raw) {
		return nil, nil
	}
	if b.Object == nil {
		base, err := NewBase(raw)
		if err != nil {
			return nil, err
		}
		return base.Object, nil
	}
	t, err := scan(raw)
	if err != nil {
		return nil, err
	}
	s := sharer{new: t, base: b.tape}
	v, err := s.value(0, 0, b.Object)
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, notAnObject(raw)
	}
	return m, nil
}

func absent(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

// notAnObject is the decoder's own error for a value that is not an object.
func notAnObject(raw []byte) error {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	return errNotObject
}

// sharer decodes the new tape's values, taking the base tape's where they are the same.
type sharer struct {
	new, base *tape
}

// value decodes new node ni, whose counterpart in the base is node bi, decoded as bv.
func (s *sharer) value(ni, bi int32, bv any) (any, error) {
	span, baseSpan := s.new.nodes[ni].span(s.new.b), s.base.nodes[bi].span(s.base.b)
	if bytes.Equal(span, baseSpan) {
		return bv, nil
	}
	switch {
	case span[0] == '{' && baseSpan[0] == '{':
		if m, ok := bv.(map[string]any); ok {
			return s.object(ni, bi, m)
		}
	case span[0] == '[' && baseSpan[0] == '[':
		if l, ok := bv.([]any); ok {
			return s.array(ni, bi, l)
		}
	}
	return s.new.decode(ni)
}

func (s *sharer) object(ni, bi int32, base map[string]any) (any, error) {
	bm := members{t: s.base}
	for c := range s.base.children(bi) {
		bm.members = append(bm.members, c)
	}
	if len(bm.members) != len(base) {
		// A key given twice in the base: its decoded value is the last one's, so a member
		// cannot be matched to it by position. Decode without sharing.
		return s.new.decode(ni)
	}
	out := make(map[string]any, len(base))
	pos := 0
	for c := range s.new.children(ni) {
		rawKey := s.new.nodes[c].key(s.new.b)
		k, err := s.new.key(c)
		if err != nil {
			return nil, err
		}
		var v any
		if m := bm.find(rawKey, pos); m >= 0 {
			v, err = s.value(c, bm.members[m], base[k])
		} else {
			v, err = s.new.decode(c)
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
		pos++
	}
	return out, nil
}

func (s *sharer) array(ni, bi int32, base []any) (any, error) {
	var items []int32
	for c := range s.base.children(bi) {
		items = append(items, c)
	}
	if len(items) != len(base) {
		return s.new.decode(ni) // not the base's decoding: cannot happen
	}
	out := make([]any, 0, len(base))
	for c := range s.new.children(ni) {
		var v any
		var err error
		if i := len(out); i < len(items) {
			v, err = s.value(c, items[i], base[i])
		} else {
			v, err = s.new.decode(c)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// members are a base object's members, found by key.
type members struct {
	t       *tape
	members []int32
	index   map[string]int32 // built on the first lookup out of order in a large object
}

// find returns the position of the member whose key is rawKey, or -1. Both versions of an object
// come from the same encoder and so usually list their keys in the same order: the member at
// the new one's position is tried first.
func (m *members) find(rawKey []byte, pos int) int32 {
	if pos < len(m.members) && bytes.Equal(m.t.nodes[m.members[pos]].key(m.t.b), rawKey) {
		return int32(pos)
	}
	if len(m.members) <= 8 {
		for i, c := range m.members {
			if bytes.Equal(m.t.nodes[c].key(m.t.b), rawKey) {
				return int32(i)
			}
		}
		return -1
	}
	if m.index == nil {
		m.index = make(map[string]int32, len(m.members))
		for i, c := range m.members {
			m.index[string(m.t.nodes[c].key(m.t.b))] = int32(i)
		}
	}
	if i, ok := m.index[string(rawKey)]; ok {
		return i
	}
	return -1
}
