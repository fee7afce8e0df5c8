package fieldpath

import (
	"sync"
	"sync/atomic"
)

// memoLimit bounds the lookups one memoSchema remembers. A struct has fewer fields; a map (labels,
// data) is asked for every key it holds, and its answers (none) are not worth unbounded memory.
const memoLimit = 256

// memoSchema remembers the answers of a typed schema. The typed schema reflects over the Go
// type's fields and tags on every lookup, and a diff asks the same questions for every object
// of a kind: remembered, a lookup is one map read. It is safe for concurrent use.
type memoSchema struct {
	inner  Schema
	fields sync.Map // key → Schema (nil: not a field)
	lists  sync.Map // key → memoList
	stored atomic.Int32
}

type memoList struct {
	mergeKey string
	items    Schema
}

// memoize wraps a schema; nil stays nil.
func memoize(s Schema) Schema {
	if s == nil {
		return nil
	}
	return &memoSchema{inner: s}
}

func (m *memoSchema) Field(key string) Schema {
	if v, ok := m.fields.Load(key); ok {
		s, _ := v.(Schema)
		return s
	}
	s := memoize(m.inner.Field(key))
	if m.room() {
		if v, loaded := m.fields.LoadOrStore(key, s); loaded {
			s, _ = v.(Schema)
		}
	}
	return s
}

func (m *memoSchema) List(key string) (string, Schema) {
	if v, ok := m.lists.Load(key); ok {
		l := v.(memoList)
		return l.mergeKey, l.items
	}
	mergeKey, items := m.inner.List(key)
	l := memoList{mergeKey: mergeKey, items: memoize(items)}
	if m.room() {
		if v, loaded := m.lists.LoadOrStore(key, l); loaded {
			l = v.(memoList)
		}
	}
	return l.mergeKey, l.items
}

// room takes a place in the memo if one is left. Once it is full the count stays put, so it
// cannot wrap around however many lookups miss.
func (m *memoSchema) room() bool {
	for {
		n := m.stored.Load()
		if n >= memoLimit {
			return false
		}
		if m.stored.CompareAndSwap(n, n+1) {
			return true
		}
	}
}
