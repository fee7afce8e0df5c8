package chart_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/rbac"
)

// TestRBACIsTheTestsRBAC: with its default values the chart gives driftgate exactly the rules of
// internal/rbac with rbac.Defaults, the rules every test suite runs driftgate with: its
// ClusterRole and its Role in the release namespace.
func TestRBACIsTheTestsRBAC(t *testing.T) {
	vs := valueSets[0]
	if vs.name != "default" {
		t.Fatalf("the first value set is %q, want the chart's defaults", vs.name)
	}
	v := rbac.Defaults(vs.fullname)
	v.CertSecret = vs.certSecret
	want := map[string]any{
		"ClusterRole/" + vs.fullname: rbac.Expand(rbac.Cluster(), v),
		"Role/" + vs.fullname:        rbac.Expand(rbac.Namespace(), v),
	}
	got := map[string]any{}
	for _, r := range roles(t, render(t, vs, goldenNamespace)) {
		if _, ok := want[r.id]; ok {
			got[r.id] = r.rules
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("driftgate's rules in the chart's default render (-internal/rbac +chart):\n%s", diff)
	}
}
