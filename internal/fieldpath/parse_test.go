package fieldpath_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

func TestParse(t *testing.T) {
	key, item, index := fieldpath.KeySegment, fieldpath.ItemSegment, fieldpath.IndexSegment
	tests := []struct {
		in   string
		want []fieldpath.Segment
	}{
		{"spec.replicas", []fieldpath.Segment{key("spec"), key("replicas")}},
		{`metadata.labels["app.kubernetes.io/name"]`, []fieldpath.Segment{key("metadata"), key("labels"), key("app.kubernetes.io/name")}},
		{"spec.ports[port=53,protocol=UDP].name", []fieldpath.Segment{key("spec"), key("ports"),
			item([]string{"port", "protocol"}, []any{"53", "UDP"}), key("name")}},
		{`data["a]b"]`, []fieldpath.Segment{key("data"), key("a]b")}},
		{`data["*"]`, []fieldpath.Segment{key("data"), key("*")}},
		{"rules[0].verbs", []fieldpath.Segment{key("rules"), index(0), key("verbs")}},
		{`env[name="a,b]"].value`, []fieldpath.Segment{key("env"), item([]string{"name"}, []any{"a,b]"}), key("value")}},
		{`x[name=""]`, []fieldpath.Segment{key("x"), item([]string{"name"}, []any{""})}},
	}
	for _, tt := range tests {
		got, err := fieldpath.Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !equalPaths(tt.want, got) {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, fieldpath.Path(got), fieldpath.Path(tt.want))
		}
		if back := fieldpath.Path(got); back != tt.in {
			t.Errorf("Path(Parse(%q)) = %q", tt.in, back)
		}
	}
	for _, bad := range []string{"a[", `a["x`, "a..b", ".a", "a.", "a[]", "a[-1]", "a[01]", "a[=x]", `a[name="x]`, `a[name="\q"]`, "a[name]"} {
		if _, err := fieldpath.Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"spec.replicas", "spec.replicas", true},
		{"spec", "spec.replicas", true},
		{"spec.replicas", "spec", false},
		{"metadata.annotations.*", `metadata.annotations["a.b/c"]`, true},
		{"spec.containers[*].image", "spec.containers[name=app].image", true},
		{"spec.containers[*].image", "spec.containers[2].image", true},
		{"spec.*", "spec[0]", false},
		{"spec[*]", "spec.x", false},
		{`data["*"]`, "data.x", false},
		{"spec.ports[port=53,protocol=TCP]", "spec.ports[port=53,protocol=TCP].targetPort", true},
		{"spec.ports[port=53]", "spec.ports[port=53,protocol=TCP]", false},
		{"spec.ports[port=80]", "spec.ports[port=80]", true},
	}
	for _, tt := range tests {
		p, err := fieldpath.Parse(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		q, err := fieldpath.Parse(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fieldpath.Matches(p, q); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	o := obj(t, `{"metadata":{"labels":{"app.kubernetes.io/name":"dns"}},"spec":{
		"ports":[{"port":53,"protocol":"UDP","name":"dns"},{"port":53,"name":"dns-tcp"},{"port":80,"name":"web"}],
		"rules":[{"verbs":["get"]}]}}`)
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"spec.ports[port=53,protocol=UDP].name", "dns", true},
		// The API server's default for a key the item leaves out: protocol TCP.
		{"spec.ports[port=53,protocol=TCP].name", "dns-tcp", true},
		{"spec.ports[port=80].name", "web", true},
		{"spec.ports[name=dns-tcp].port", float64(53), true},
		{`metadata.labels["app.kubernetes.io/name"]`, "dns", true},
		{"spec.rules[0].verbs", []any{"get"}, true},
		{"spec.rules[3]", nil, false},
		{"spec.ports[port=81]", nil, false},
		{"spec.missing.deeper", nil, false},
	}
	for _, tt := range tests {
		segs, err := fieldpath.Parse(tt.path)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.path, err)
		}
		got, ok := fieldpath.Lookup(o, segs)
		if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
			t.Errorf("Lookup(%q) = %v, %v; want ok %v (-want +got):\n%s", tt.path, got, ok, tt.ok, diff)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := fieldpath.SplitList(`a.b,ports[port=53,protocol=UDP],x["c,d"],env[name="e,f"]`)
	want := []string{"a.b", "ports[port=53,protocol=UDP]", `x["c,d"]`, `env[name="e,f"]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SplitList (-want +got):\n%s", diff)
	}
}

func equalPaths(a, b []fieldpath.Segment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// segmentsFrom builds a path from fuzz data: a JSON list whose strings are map keys, numbers list
// indexes and objects keyed-list items.
func segmentsFrom(data []byte) ([]fieldpath.Segment, bool) {
	var steps []any
	if json.Unmarshal(data, &steps) != nil {
		return nil, false
	}
	var segs []fieldpath.Segment
	for _, s := range steps {
		switch v := s.(type) {
		case string:
			segs = append(segs, fieldpath.KeySegment(v))
		case float64:
			if v < 0 || v != float64(int(v)) || v > 1e9 {
				return nil, false
			}
			segs = append(segs, fieldpath.IndexSegment(int(v)))
		case map[string]any:
			if len(v) == 0 {
				return nil, false
			}
			var keys []string
			var values []any
			for k, x := range v {
				if !plainName(k) {
					return nil, false
				}
				switch x.(type) {
				case map[string]any, []any, nil:
					return nil, false
				}
				keys, values = append(keys, k), append(values, x)
			}
			segs = append(segs, fieldpath.ItemSegment(keys, values))
		default:
			return nil, false
		}
	}
	return segs, true
}

// plainName is a field name, as list-map keys are.
func plainName(k string) bool {
	return k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

// FuzzParse: every path Path renders parses back to its segments, and every string Parse accepts
// renders to a path that parses to the same segments.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`["spec","replicas"]`, `["metadata","labels","app.kubernetes.io/name"]`, `["ports",{"port":53,"protocol":"UDP"},"name"]`,
		`["data",""]`, `["x",{"name":"a,b]=\""}]`, `["*",3,{"name":true}]`, `[{"k":1.5}]`,
		`spec.ports[port=53,protocol=UDP].targetPort`, `data["a\"b"]`, `a[*].b.*`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if segs, ok := segmentsFrom(data); ok {
			p := fieldpath.Path(segs)
			back, err := fieldpath.Parse(p)
			if err != nil {
				t.Fatalf("Parse(Path(%s)) = %v", data, err)
			}
			if !equalPaths(segs, back) {
				t.Fatalf("Parse(%q) = %q, not the segments rendered", p, fieldpath.Path(back))
			}
		}
		segs, err := fieldpath.Parse(string(data))
		if err != nil {
			return
		}
		p := fieldpath.Path(segs)
		again, err := fieldpath.Parse(p)
		if err != nil || !equalPaths(segs, again) {
			t.Fatalf("Parse(%q) rendered %q, which parses to %v (%v)", data, p, again, err)
		}
	})
}
