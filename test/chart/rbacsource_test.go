package chart_test

import (
	"strings"
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

// TestArgoCDRole: with audit.argocdRole the chart gives driftgate the rules of rbac.ArgoCD in a
// Role bound to it in Argo CD's namespace (config.breakGlass.argocdNamespace); without, none.
func TestArgoCDRole(t *testing.T) {
	v := rbac.Defaults(release)
	for _, tt := range []struct {
		name string
		args []string
		want map[string]any
	}{
		{"default", nil, map[string]any{}},
		{"on", []string{"--set", "audit.argocdRole=true", "--set", "config.breakGlass.argocdNamespace=gitops"},
			map[string]any{"Role/" + release + "-argocd in gitops": rbac.Expand(rbac.ArgoCD(), v)}},
		{"on, audit off", []string{"--set", "audit.argocdRole=true", "--set", "audit.enabled=false"}, map[string]any{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeAll(helm(t, append([]string{"template", release, "charts/driftgate", "--namespace", goldenNamespace}, tt.args...)...))
			if err != nil {
				t.Fatal(err)
			}
			ns := map[string]string{}
			for _, o := range objs {
				ns[o.GetKind()+"/"+o.GetName()] = o.GetNamespace()
			}
			got := map[string]any{}
			for _, r := range roles(t, objs) {
				if strings.HasSuffix(r.id, "-argocd") {
					got[r.id+" in "+ns[r.id]] = r.rules
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("driftgate's Argo CD Role (-want +got):\n%s", diff)
			}
		})
	}
}
