package jsonpair

import (
	stdjson "encoding/json"
	"testing"

	"github.com/driftgate/driftgate/test/loadgen"
)

// BenchmarkSharing decodes the versions of the load tool's ~7 KB Deployment (an image update):
// each alone, and both, the new one sharing with the old one.
func BenchmarkSharing(b *testing.B) {
	var review struct {
		Request struct{ Object, OldObject stdjson.RawMessage }
	}
	if err := stdjson.Unmarshal(loadgen.UpdateReview("u", "alice"), &review); err != nil {
		b.Fatal(err)
	}
	oldRaw, newRaw := review.Request.OldObject, review.Request.Object
	var d Decoder
	for _, bench := range []struct {
		name     string
		old, new []byte
	}{
		{"old-alone", oldRaw, nil},
		{"new-alone", nil, newRaw},
		{"both", oldRaw, newRaw},
	} {
		b.Run(bench.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, _, err := d.Decode(bench.old, bench.new); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
