package jsonpair

import (
	stdjson "encoding/json"
	"testing"

	"github.com/driftgate/driftgate/test/loadgen"
)

// BenchmarkSharing decodes the two versions of the load tool's ~7 KB Deployment (an image
// update): the old one alone, then the new one sharing with it.
func BenchmarkSharing(b *testing.B) {
	var review struct {
		Request struct{ Object, OldObject stdjson.RawMessage }
	}
	if err := stdjson.Unmarshal(loadgen.UpdateReview("u", "alice"), &review); err != nil {
		b.Fatal(err)
	}
	oldRaw, newRaw := review.Request.OldObject, review.Request.Object
	b.Run("old", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := NewBase(oldRaw); err != nil {
				b.Fatal(err)
			}
		}
	})
	old, err := NewBase(oldRaw)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("new-alone", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := NewBase(newRaw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-sharing", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := old.Decode(newRaw); err != nil {
				b.Fatal(err)
			}
		}
	})
}
