package jsonpair

import (
	"bytes"
	"fmt"
)

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

// Only is the value of v's member named key, absent when v is not an object or has no such
// member. A key given twice, or spelled in other letter cases (which encoding/json and
// goccy/go-json take for the same struct field), is an error: which member counts would depend on
// the decoder.
func (v Value) Only(key string) (Value, error) {
	if v.doc == nil {
		return Value{}, nil
	}
	t := v.doc.t
	if t.b[t.nodes[v.node].start] != '{' {
		return Value{}, nil
	}
	found := Value{}
	for c := range t.children(v.node) {
		k, err := t.keyBytes(c)
		switch {
		case err != nil || !bytes.EqualFold(k, []byte(key)):
			continue
		case string(k) != key:
			return Value{}, fmt.Errorf("key %q where %q belongs", k, key)
		case found.doc != nil:
			return Value{}, fmt.Errorf("key %q given twice", key)
		}
		found = Value{doc: v.doc, node: c}
	}
	return found, nil
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
