package fieldpath

import (
	"strconv"
	"testing"
)

// counting is a schema that counts the lookups that reach it.
type counting struct{ calls int }

func (c *counting) Field(string) Schema          { c.calls++; return nil }
func (c *counting) List(string) (string, Schema) { c.calls++; return "", nil }

// TestMemoIsBounded checks the memo remembers up to memoLimit answers, asks the schema again for
// the rest, and stays full (its count does not grow past the limit).
func TestMemoIsBounded(t *testing.T) {
	inner := &counting{}
	m := memoize(inner).(*memoSchema)
	for i := range 2 * memoLimit {
		m.Field("k" + strconv.Itoa(i))
	}
	for i := range 2 * memoLimit {
		m.Field("k" + strconv.Itoa(i))
	}
	if got, want := inner.calls, 2*memoLimit+memoLimit; got != want {
		t.Errorf("schema asked %d times, want %d (%d remembered)", got, want, memoLimit)
	}
	if got := m.stored.Load(); got != memoLimit {
		t.Errorf("count = %d, want %d", got, memoLimit)
	}
}
