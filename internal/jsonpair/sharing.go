package jsonpair

import (
	"bytes"
	"sync"

	json "github.com/goccy/go-json"
)

// Error says which version could not be decoded.
type Error struct {
	New bool // the new version; else the old one
	Err error
}

func (e *Error) Error() string {
	if e.New {
		return "new version: " + e.Err.Error()
	}
	return "old version: " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Decoder decodes the two versions of objects. Its zero value is ready to use, and it is safe
// for concurrent use: it keeps the scratch space of one decoding for the next.
type Decoder struct {
	nodes sync.Pool // of *[]node
}

// maxPooled bounds the scratch space kept for reuse (a tape of 65,536 nodes, about 1.3 MB), so
// one huge document does not stay.
const maxPooled = 1 << 16

// Decode decodes the old and the new version of an object, each a JSON object or absent (empty
// or null, decoded as nil). The new one shares with the old one every value it holds byte for
// byte at the same place: that value is the old one's own, not a copy.
func (d *Decoder) Decode(oldRaw, newRaw []byte) (old, new map[string]any, err error) {
	var oldV, newV Value
	if len(oldRaw) > 0 { // null scans as an absent Value
		doc, err := d.Scan(oldRaw)
		if err != nil {
			return nil, nil, &Error{Err: err}
		}
		defer d.Release(doc)
		oldV = doc.Root()
	}
	if len(newRaw) > 0 {
		doc, err := d.Scan(newRaw)
		if err != nil {
			return nil, nil, &Error{New: true, Err: err}
		}
		defer d.Release(doc)
		newV = doc.Root()
	}
	return DecodeValues(oldV, newV)
}

// DecodeValues decodes the old and the new version of an object, values of scanned documents
// (the same one or two), as Decode does. An absent Value, or null, decodes as nil.
func DecodeValues(oldV, newV Value) (old, new map[string]any, err error) {
	if old, err = oldV.object(); err != nil {
		return nil, nil, &Error{Err: err}
	}
	if old == nil {
		new, err = newV.object()
	} else {
		new, err = newV.sharing(oldV, old)
	}
	if err != nil {
		return nil, nil, &Error{New: true, Err: err}
	}
	return old, new, nil
}

// Scan scans b, one JSON value. The Document is used until it is released.
func (d *Decoder) Scan(b []byte) (*Document, error) {
	var nodes []node
	if p, ok := d.nodes.Get().(*[]node); ok {
		nodes = *p
	}
	t, err := scan(b, nodes)
	if err != nil {
		return nil, err
	}
	return &Document{t: t}, nil
}

// Release keeps the document's scratch space for the next one; neither the document nor its
// Values are used afterwards. What was decoded from them stays valid.
func (d *Decoder) Release(doc *Document) {
	if doc == nil || cap(doc.t.nodes) > maxPooled {
		return
	}
	nodes := doc.t.nodes[:0]
	doc.t.nodes = nil
	d.nodes.Put(&nodes)
}

// object decodes v, a JSON object or absent.
func (v Value) object() (map[string]any, error) {
	if v.absent() {
		return nil, nil
	}
	t := v.doc.t
	if t.s == "" {
		t.s = string(t.b) // one copy that every string value and key is a slice of
	}
	return v.asObject(t.decode(v.node))
}

// sharing decodes v, a JSON object or absent, sharing with base, decoded as old.
func (v Value) sharing(base Value, old map[string]any) (map[string]any, error) {
	if v.absent() {
		return nil, nil
	}
	s := sharer{new: v.doc.t, base: base.doc.t}
	return v.asObject(s.value(v.node, base.node, old))
}

// asObject is d, v decoded, as an object, or the decoder's own error for a value that is not one.
func (v Value) asObject(d any, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	m, ok := d.(map[string]any)
	if !ok {
		return nil, notAnObject(v.span())
	}
	return m, nil
}

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
	bm := members{t: s.base, members: make([]int32, 0, len(base))}
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
	items := make([]int32, 0, len(base))
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
