package jsonpair

import (
	stdjson "encoding/json"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

func TestSharingDecodesAsTheDecoderDoes(t *testing.T) {
	const deployment = `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},` +
		`"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"web:1","env":[{"name":"A","value":"1"}]},` +
		`{"name":"side","image":"side:1"}]}}},"status":{"replicas":2}}`
	tests := []struct {
		name      string
		base, raw string
		shared    []string // top-level keys whose value must be the base's own
	}{
		{"identical", deployment, deployment, nil},
		{"image changed", deployment,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},` +
				`"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"web:2","env":[{"name":"A","value":"1"}]},` +
				`{"name":"side","image":"side:1"}]}}},"status":{"replicas":2}}`,
			[]string{"metadata", "status"}},
		{"keys reordered and added", deployment,
			`{"kind":"Deployment","apiVersion":"apps/v1","status":{"replicas":2},"spec":{"replicas":3,"paused":true},"metadata":{"name":"web","labels":{"app":"web"}}}`,
			[]string{"metadata", "status"}},
		{"item added and removed", `{"l":[{"a":1},{"b":2}],"m":{"x":[1,2,3]}}`, `{"l":[{"a":1},{"b":2},{"c":3}],"m":{"x":[1,2]}}`, nil},
		{"type changed", `{"a":{"b":1},"c":[1],"d":"x"}`, `{"a":[1],"c":{"b":1},"d":{"e":null}}`, nil},
		{"whitespace", `{"a": {"b": 1}, "c": [1, 2]}`, ` { "a" : {"b": 1} ,"c":[ 1,2 ] } `, []string{"a"}},
		{"no old version", ``, `{"a":{"b":1}}`, nil},
		{"escaped keys", `{"a\u0062":{"x":1},"é":{"y":1}}`, `{"ab":{"x":1},"é":{"y":1},"\t":1}`, []string{"é"}},
		{"key twice in the base", `{"a":{"x":1},"a":{"x":2}}`, `{"a":{"x":1},"b":1}`, nil},
		{"key twice in the new", `{"a":{"x":1}}`, `{"a":{"x":1},"a":{"x":2}}`, nil},
		{"many keys out of order", `{"k1":{},"k2":{},"k3":{},"k4":{},"k5":{},"k6":{},"k7":{},"k8":{},"k9":{"v":9},"k10":{"v":10}}`,
			`{"k10":{"v":10},"k9":{"v":9},"k8":{},"k7":{},"k6":{},"k5":{},"k4":{},"k3":{},"k2":{},"k1":{},"k11":1}`, []string{"k9", "k10"}},
		{"empty", `{"a":{},"b":[]}`, `{"a":{},"b":[],"c":{},"d":[]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Decoder
			base, got, err := d.Decode([]byte(tt.base), []byte(tt.raw))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			var want map[string]any
			if tt.base != "" {
				want = mustObject(t, tt.base)
			}
			if diff := cmp.Diff(want, base); diff != "" {
				t.Errorf("old version differs from decoding it alone (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(mustObject(t, tt.raw), got); diff != "" {
				t.Errorf("Sharing differs from decoding alone (-want +got):\n%s", diff)
			}
			for _, k := range tt.shared {
				if !same(base[k], got[k]) {
					t.Errorf("%s is a copy, want the base's value", k)
				}
			}
		})
	}
}

func TestSharingRefusesWhatTheDecoderRefuses(t *testing.T) {
	base := `{"a":{"b":[1,2]},"c":"d"}`
	for _, raw := range []string{
		`{"a":{"b":[1,2]},"c":"d"`, `{"a":{"b":[1,2]},"c":"d"}x`, `{"a":{"b":[1,2]},"c":d}`, `{"a":{"b":[1,2]} "c":"d"}`,
		`{"a":{"b":[1,2],},"c":"d"}`, `{"a":{"b":[1 2]},"c":"d"}`, `{"a":{"b":[1,2]},"c":"\x"}`, `{"a":{"b":[1,2]},"c":}`,
		`{"a":{"b":[1,2]},c:"d"}`, `[1,2]`, `"x"`, `{"a":{"b":[1,2]},"c":"d",}`, `{"a":{"b":[1,2]},"c" "d"}`,
		`{"a":{"b":[1,2]},"c":tru}`,
	} {
		var d Decoder
		if _, got, err := d.Decode([]byte(base), []byte(raw)); err == nil {
			t.Errorf("Sharing(%s) = %v, want an error", raw, got)
		}
	}
}

// FuzzSharing: whatever two documents hold, the new one decodes as the decoder decodes it alone,
// and is refused when the decoder and encoding/json both refuse it.
func FuzzSharing(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"a":{"b":[1,2]},"c":"d"}`, `{"a":{"b":[1,3]},"c":"d"}`},
		{`{"a":{"b":[1,2]},"c":"d"}`, `{"c":"d","a":{"b":[1,2],"e":[{"f":null}]}}`},
		{`{"a\u0062":{"x":1}}`, `{"ab":{"x":1},"ab":2}`},
		{`{"a":[[[[]]]]}`, `{"a":[[[[1]]]]}`},
		{`{"s":"\ud83d\ude00"}`, `{"s":"\ud83d\ude01","n":-1.5e3}`},
		{`{}`, `{"a":true,"b":false,"c":null}`},
		{`null`, ` null `},
		{`{"a":1}`, `null`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, baseRaw, raw []byte) {
		var d Decoder
		old, _, err := d.Decode(baseRaw, nil)
		check(t, "old", baseRaw, old, err)
		if err != nil {
			return
		}
		_, new, err := d.Decode(baseRaw, raw)
		check(t, "new", raw, new, err)
	})
}

// check compares decode's answer for raw with the decoder's and encoding/json's.
func check(t *testing.T, what string, raw []byte, got map[string]any, err error) {
	t.Helper()
	var want, std map[string]any
	wantErr := json.Unmarshal(raw, &want)
	stdErr := stdjson.Unmarshal(raw, &std)
	if len(raw) == 0 {
		wantErr, stdErr = nil, nil // absent
	}
	switch {
	case wantErr != nil && stdErr != nil:
		if err == nil {
			t.Fatalf("%s(%q) = %v, want an error", what, raw, got)
		}
	case wantErr == nil && stdErr == nil:
		if err != nil {
			t.Fatalf("%s(%q): %v, want %v", what, raw, err, want)
		}
		fallthrough
	default: // the two decoders disagree: either answer will do, but a value must be one of theirs
		if err == nil && !reflect.DeepEqual(got, want) && !reflect.DeepEqual(got, std) {
			t.Fatalf("%s(%q) = %#v, want %#v", what, raw, got, want)
		}
	}
}

func mustObject(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return m
}

// same reports whether a and b are the same map or slice, not merely equal ones.
func same(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() != vb.Kind() || (va.Kind() != reflect.Map && va.Kind() != reflect.Slice) {
		return false
	}
	return va.UnsafePointer() == vb.UnsafePointer()
}
