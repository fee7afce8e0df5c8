package audit

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// webhookPaths are the paths the admission webhook records for a write from old to new: the
// same diff, schemas and list identity as webhook.Decider (which also leaves out bookkeeping such
// as managedFields).
func webhookPaths(d *Differ, old, new Object) []string {
	sch := d.schemas.ForAPIVersion(new.APIVersion(), new.Kind())
	skip := fieldpath.Skip{"metadata": {"managedFields": nil}}
	var out []string
	for _, c := range fieldpath.Diff(old.Content, new.Content, sch, skip) {
		out = append(out, c.Path)
	}
	return out
}

// TestWebhookPathIsTheAuditPath: a Service with two ports numbered 53, one leaving protocol to
// the API server's default (TCP). A person's edit of the TCP port's targetPort is recorded under
// the path the audit reports its drift at, and resolving the edit by that path finds it open
// while live still differs from Git.
func TestWebhookPathIsTheAuditPath(t *testing.T) {
	d := newTestDiffer(t, nil)
	const gitService = `apiVersion: v1
kind: Service
metadata: {name: dns, namespace: default}
spec:
  ports:
  - {port: 53, targetPort: 5353}
  - {port: 53, protocol: UDP, targetPort: 5353}
`
	desired := parseOne(t, "git", gitService)
	before := parseOne(t, "before", gitService)
	after := parseOne(t, "after", `apiVersion: v1
kind: Service
metadata:
  name: dns
  namespace: default
  managedFields:
  - manager: kubectl-edit
    operation: Update
    fieldsV1: {f:spec: {f:ports: {'k:{"port":53,"protocol":"TCP"}': {f:targetPort: {}}}}}
spec:
  ports:
  - {port: 53, targetPort: 9953}
  - {port: 53, protocol: UDP, targetPort: 5353}
`)
	const want = "spec.ports[port=53,protocol=TCP].targetPort"
	if diff := cmp.Diff([]string{want}, webhookPaths(d, before, after)); diff != "" {
		t.Errorf("webhook's changed paths (-want +got):\n%s", diff)
	}
	r, err := d.DiffObject(desired, after)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{want}, paths(r.Fields)); diff != "" {
		t.Errorf("audit's drifted paths (-want +got):\n%s", diff)
	}
	edit := Edit{Operation: "UPDATE", Changes: []EditChange{{Path: want, Old: float64(5353), New: float64(9953)}}}
	got, err := d.Backport(edit, &desired, &after)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != BackportRequired {
		t.Errorf("Backport by the webhook's path = %+v, want %s while live differs from Git", got, BackportRequired)
	}
	if !Landed(edit, &after) {
		t.Error("Landed = false for the write live shows")
	}
}

// FuzzSamePaths: for any pair of objects, every path the audit reports drifted names the same
// items as a path the webhook records for a write from one to the other: one path is at or below
// the other, and the two agree on every segment they share. (The audit reports fewer paths: it
// compares values semantically and leaves out what the API server assigns.)
func FuzzSamePaths(f *testing.F) {
	seeds := [][2]string{
		{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":53,"targetPort":1},{"port":53,"protocol":"UDP"}]}}`,
			`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":53,"protocol":"UDP"},{"port":53,"targetPort":2}]}}`},
		{`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"template":{"spec":{"containers":[{"name":"x","ports":[{"containerPort":80},{"containerPort":80,"protocol":"UDP"}],"env":[{"name":"A","value":"1"}]}]}}}}`,
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"},"spec":{"template":{"spec":{"containers":[{"name":"x","ports":[{"containerPort":80,"protocol":"TCP","name":"h"}],"env":[{"name":"B","value":"2"},{"name":"A","value":"3"}]}]}}}}`},
		{`{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"w"},"spec":{"a":[{"name":"n","v":1},{"name":"m"}],"b":[{"x":1}]}}`,
			`{"apiVersion":"x.io/v1","kind":"W","metadata":{"name":"w"},"spec":{"a":[{"name":"m"},{"name":"n","v":2}],"b":[{"x":2}]}}`},
		{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"topologySpreadConstraints":[{"topologyKey":"z","whenUnsatisfiable":"DoNotSchedule","maxSkew":1},{"topologyKey":"z","maxSkew":2}]}}`,
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"topologySpreadConstraints":[{"topologyKey":"z","whenUnsatisfiable":"DoNotSchedule","maxSkew":3}]}}`},
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
		// The audit pairs objects of one kind; the webhook sees one kind in a request.
		lm["apiVersion"], lm["kind"] = dm["apiVersion"], dm["kind"]
		want, got := Object{Source: "desired", Content: dm}, Object{Source: "live", Content: lm}
		if want.Group() == "" && want.Kind() == "Secret" {
			want.Content = normalizeSecret(dm) // the API server stores stringData as data
		}
		r, err := d.DiffObject(want, got)
		if err != nil {
			return // a malformed ignore annotation
		}
		var recorded [][]fieldpath.Segment
		for _, p := range webhookPaths(d, want, got) {
			segs, err := fieldpath.Parse(p)
			if err != nil {
				t.Fatalf("the webhook's path %q does not parse: %v", p, err)
			}
			recorded = append(recorded, segs)
		}
		for _, f := range r.Fields {
			segs, err := fieldpath.Parse(f.Path)
			if err != nil {
				t.Fatalf("the audit's path %q does not parse: %v", f.Path, err)
			}
			if !slices.ContainsFunc(recorded, func(w []fieldpath.Segment) bool { return fieldpath.Overlap(w, segs) }) {
				t.Fatalf("the audit reports %s; the webhook records %v", f.Path, webhookPaths(d, want, got))
			}
		}
	})
}
