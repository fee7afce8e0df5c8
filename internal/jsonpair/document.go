package jsonpair

import "bytes"

// Document is a JSON document scanned once: its values can be found by key and decoded without
// scanning it again.
type Document struct {
	t *tape
}

// Value is one value of a Document. The zero Value is an absent one.
type Value struct {
	doc  *Document
	node int32
}

// Root is the document's top-level value.
func (doc *Document) Root() Value { return Value{doc: doc} }

// Member is the value of v's member named key, absent when v is not an object or has no such
// member. Of a key given twice, it is the last, as decoding keeps.
func (v Value) Member(key string) Value {
	if v.doc == nil {
		return Value{}
	}
	t := v.doc.t
	if t.b[t.nodes[v.node].start] != '{' {
		return Value{}
	}
	found := Value{}
	for c := range t.children(v.node) {
		if k, err := t.key(c); err == nil && k == key {
			found = Value{doc: v.doc, node: c}
		}
	}
	return found
}

// Span is where v is in the document's bytes; 0, 0 when v is absent.
func (v Value) Span() (start, end int) {
	if v.doc == nil {
		return 0, 0
	}
	n := &v.doc.t.nodes[v.node]
	return int(n.start), int(n.end)
}

func (v Value) span() []byte {
	start, end := v.Span()
	if v.doc == nil {
		return nil
	}
	return v.doc.t.b[start:end]
}

// absent reports a Value that is not there, or null.
func (v Value) absent() bool {
	return v.doc == nil || bytes.Equal(v.span(), []byte("null"))
}
