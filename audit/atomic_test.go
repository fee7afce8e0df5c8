package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Found by our own corpus (test/fixtures/drift: metrics-server-01, mysql-01, podinfo-16).
func TestAtomicDefaultsAndZeroStructs(t *testing.T) {
	const env = `        env:
        - name: POD
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
`
	fieldRef := `{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:env: {'k:{"name":"POD"}': {f:valueFrom: {f:fieldRef: {}}}}}}}}}}`
	tests := []struct {
		name          string
		desired, live string
		want          []string
	}{{
		name:    "a default inside an atomic value Flux applied is not stale drift",
		desired: deploy("", container+env),
		live:    deploy(managed("kustomize-controller", "Apply", fieldRef), container+env+"              apiVersion: v1\n"),
		want:    []string{},
	}, {
		name:    "a struct of zeros in Git is not the absent struct",
		desired: deploy("", "  strategy:\n    rollingUpdate: {maxUnavailable: 0}\n"),
		live: deploy(managed("kustomize-controller", "Apply", "{f:spec: {f:strategy: {f:rollingUpdate: {f:maxUnavailable: {}}}}}"),
			"  strategy: {}\n"),
		want: []string{"spec.strategy.rollingUpdate"},
	}}
	d := newTestDiffer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paths(diffYAML(t, d, tt.desired, tt.live).Fields)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drifted paths (-want +got):\n%s", diff)
			}
		})
	}
}
