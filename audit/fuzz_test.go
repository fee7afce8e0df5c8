package audit

import (
	"encoding/json"
	"testing"
)

// FuzzDiff diffs pairs of objects: it must not panic, must report each path once, and an object
// compared with itself (no managedFields) is in sync.
func FuzzDiff(f *testing.F) {
	seeds := [][2]string{
		{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"replicas":2}}`,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","managedFields":[{"manager":"kubectl","operation":"Update","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},"spec":{"replicas":3}}`},
		{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"template":{"spec":{"containers":[{"name":"x","image":"i:1","env":[{"name":"A","value":"1"}]}]}}}}`,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a","managedFields":[{"manager":"kubectl-set","operation":"Update","fieldsV1":{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"x\"}":{"f:env":{"k:{\"name\":\"B\"}":{".":{}}}}}}}}}}]},"spec":{"template":{"spec":{"containers":[{"name":"x","image":"i:2","env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]}]}}}}`},
		{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":53},{"port":53,"protocol":"UDP"}]}}`,
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":53,"protocol":"UDP","targetPort":"dns"}]}}`},
		{`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"a":"b"}}`,
			`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"c\":\"x\"}}"}},"data":{"a":"Yg==","c":"eA=="}}`},
		{`{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"w","annotations":{"driftgate.io/ignore-fields":"spec.a[*]"}},"spec":{"a":[{"name":"n"}],"b":[1,2]}}`,
			`{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"w"},"spec":{"a":[{"name":1}],"b":"s"}}`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	d, err := New(DefaultOptions())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, desired, live string) {
		var dm, lm map[string]any
		if json.Unmarshal([]byte(desired), &dm) != nil || json.Unmarshal([]byte(live), &lm) != nil || dm == nil || lm == nil {
			return
		}
		r, err := d.DiffObject(Object{Source: "desired", Content: dm}, Object{Source: "live", Content: lm})
		if err != nil {
			return // a malformed ignore annotation
		}
		seen := map[string]bool{}
		for _, f := range r.Fields {
			if seen[f.Path] {
				t.Fatalf("path %s reported twice", f.Path)
			}
			seen[f.Path] = true
		}
		if (r.Status == Drifted) != (len(r.Fields) > 0) {
			t.Fatalf("status %s with %d fields", r.Status, len(r.Fields))
		}
		self := Object{Content: dm}
		if self.Group() == "" && self.Kind() == "Secret" {
			self.Content = normalizeSecret(dm) // the API server stores stringData as data
		}
		again, err := d.DiffObject(Object{Content: dm}, self)
		if err == nil && len(again.Fields) != 0 {
			t.Fatalf("an object differs from itself: %v", paths(again.Fields))
		}
	})
}
