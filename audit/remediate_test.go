package audit

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// TestRemedies: what `audit --remediate` does with each drifted or missing object, and the object
// it applies: Git's, with the live values of the paths the audit ignores (a wildcard item
// included), and the fields a person's tool added listed for removal.
func TestRemedies(t *testing.T) {
	const git = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    driftgate.io/ignore-fields: "spec.replicas, spec.template.spec.containers[*].resources"%s
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: app:v1
        resources: {limits: {memory: 256Mi}}
`
	const live = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop%s
  annotations:
    driftgate.io/ignore-fields: "spec.replicas, spec.template.spec.containers[*].resources"
  managedFields:
  - manager: %s
    operation: Update
    fieldsV1: {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:env": {}}}}}}}
spec:
  replicas: 5
  template:
    spec:
      containers:
      - name: app
        image: app:v2
        resources: {limits: {memory: 1Gi}}
        env:
        - {name: DEBUG, value: "1"}
`
	tests := []struct {
		name                string
		gitExtra, liveExtra string
		manager             string
		want                Remedy
		// wantApplied are values of the applied object by path ("absent" when left out).
		wantApplied map[string]any
	}{{
		name: "applied with the ignored fields kept live", manager: "kubectl-edit",
		want: Remedy{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Status: Drifted, Action: RemediationApply,
			Paths:  []string{"spec.template.spec.containers[name=app].env[name=DEBUG]", "spec.template.spec.containers[name=app].image"},
			Remove: []string{"spec.template.spec.containers[name=app].env[name=DEBUG]"}},
		wantApplied: map[string]any{
			"spec.replicas": float64(5), "spec.template.spec.containers[name=app].image": "app:v1",
			"spec.template.spec.containers[name=app].resources.limits.memory": "1Gi",
			"spec.template.spec.containers[name=app].env":                     "absent",
		},
	}, {
		name: "marked alert in Git", manager: "kubectl-edit", gitExtra: "\n    driftgate.io/remediation: alert",
		want: Remedy{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Status: Drifted, Action: RemediationBlocked,
			Reason: "Git marks it driftgate.io/remediation: alert",
			Paths:  []string{`metadata.annotations["driftgate.io/remediation"]`, "spec.template.spec.containers[name=app].env[name=DEBUG]", "spec.template.spec.containers[name=app].image"}},
	}, {
		name: "owned by a Flux Kustomization", manager: "kubectl-edit",
		liveExtra: "\n  labels: {kustomize.toolkit.fluxcd.io/name: apps, kustomize.toolkit.fluxcd.io/namespace: flux-system}",
		want: Remedy{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Status: Drifted, Action: RemediationRefused,
			Reason: "owned by kustomize.toolkit.fluxcd.io/name flux-system/apps (ownership marker): putting Git back is that controller's job",
			Paths:  []string{"spec.template.spec.containers[name=app].env[name=DEBUG]", "spec.template.spec.containers[name=app].image"}},
	}, {
		name: "applied by a GitOps field manager", manager: "argocd-controller",
		want: Remedy{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", Status: Drifted, Action: RemediationRefused,
			Reason: "applied by the GitOps field manager argocd-controller: putting Git back is that controller's job",
			Paths:  []string{"spec.template.spec.containers[name=app].image"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDiffer(t, nil)
			desired := []Object{parseOne(t, "web.yaml", fmt.Sprintf(git, tt.gitExtra))}
			liveObjs := []Object{parseOne(t, "live", fmt.Sprintf(live, tt.liveExtra, tt.manager))}
			rep, err := d.Diff(desired, liveObjs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Remedies(rep, desired, liveObjs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d remedies, want 1: %+v", len(got), got)
			}
			applied := got[0].Apply
			got[0].Apply = nil
			if diff := cmp.Diff(tt.want, got[0]); diff != "" {
				t.Errorf("remedy (-want +got):\n%s", diff)
			}
			gotApplied := map[string]any{}
			for p := range tt.wantApplied {
				segs, err := fieldpath.Parse(p)
				if err != nil {
					t.Fatal(err)
				}
				v, ok := fieldpath.Lookup(any(applied), segs)
				if !ok {
					v = "absent"
				}
				gotApplied[p] = v
			}
			if tt.wantApplied == nil {
				gotApplied = nil
			}
			if diff := cmp.Diff(tt.wantApplied, gotApplied); diff != "" {
				t.Errorf("the applied object (-want +got):\n%s", diff)
			}
		})
	}
}
