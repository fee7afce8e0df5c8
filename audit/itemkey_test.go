package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// byName compares key fields in any order (encoding/json gives them in map order).
func byName() cmp.Option {
	return cmp.Options{
		cmp.AllowUnexported(keyField{}),
		cmpopts.SortSlices(func(a, b keyField) bool { return a.name < b.name }),
	}
}

func TestParseItemKey(t *testing.T) {
	tests := []struct {
		raw      string
		want     keyFields
		fastPath bool
	}{
		{`{"name":"app"}`, keyFields{{"name", "app"}}, true},
		{`{"containerPort":8080,"protocol":"TCP"}`, keyFields{{"containerPort", "8080"}, {"protocol", "TCP"}}, true},
		{` { "port" : -53 , "x" : true, "y": false, "z": null } `, keyFields{{"port", "-53"}, {"x", "true"}, {"y", "false"}, {"z", ""}}, true},
		{`{"a":"1","b":"x","a":"2"}`, keyFields{{"a", "2"}, {"b", "x"}}, true},
		{`{}`, keyFields{}, true},
		{`{"name":"caf\u00e9"}`, keyFields{{"name", "café"}}, false},
		{`{"port":8080.0}`, keyFields{{"port", "8080"}}, false},
		{`{"port":1e3}`, keyFields{{"port", "1000"}}, false},
		{`{"a":{"b":1}}`, keyFields{{"a", "map[b:1]"}}, false},
		{`{"port":080}`, nil, false},
		{`{"name":"app"`, nil, false},
		{`{"name":"app"}x`, nil, false},
		{`{"name":truex}`, nil, false},
		{`["name"]`, nil, false},
		{``, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseItemKey(tt.raw), byName()); diff != "" {
				t.Errorf("parseItemKey(%s) (-want +got):\n%s", tt.raw, diff)
			}
			if _, ok := parseFlatKey(tt.raw); ok != tt.fastPath {
				t.Errorf("parseFlatKey(%s) ok = %v, want %v", tt.raw, ok, tt.fastPath)
			}
		})
	}
}

func TestItemMatches(t *testing.T) {
	item := map[string]any{"containerPort": 8080.0, "protocol": "TCP", "name": "http"}
	tests := []struct {
		key  string
		want bool
	}{
		{`{"containerPort":8080,"protocol":"TCP"}`, true},
		{`{"containerPort":8080,"protocol":"UDP"}`, false},
		{`{"containerPort":8080,"protocol":"UDP","protocol":"TCP"}`, true},
		{`{"name":"http","hostPort":80}`, false},
		{`{}`, false},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := itemMatches(parseItemKey(tt.key), item); got != tt.want {
			t.Errorf("itemMatches(%s) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// FuzzParseFlatKey checks that the fast path reads every key it accepts as encoding/json does.
func FuzzParseFlatKey(f *testing.F) {
	for _, s := range []string{`{"name":"app"}`, `{"containerPort":8080,"protocol":"TCP"}`, `{"a":-0}`,
		`{"a":null,"b":true}`, "{\"a\":\"\xff\"}", `{"a":12345678901234567890123}`, `{"a":"x"} `,
		`{"a":"1","b":"2","a":"3"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := parseFlatKey(raw)
		if !ok {
			return
		}
		if diff := cmp.Diff(parseItemKeyJSON(raw), got, byName()); diff != "" {
			t.Errorf("parseFlatKey(%q) (-encoding/json +got):\n%s", raw, diff)
		}
	})
}
