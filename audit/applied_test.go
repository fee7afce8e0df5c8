package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRuleThreeAgainstFluxTypedForm: rule 3 against what the real kustomize-controller v1.9.6
// owns after applying Git in its typed form (the field sets below are copied from the corpus's
// storefront-*-flux live objects): what that form adds is not stale where live holds what the
// API server makes of it, and a value Git dropped is stale even where the typed form has a field
// of its own at the same place.
func TestRuleThreeAgainstFluxTypedForm(t *testing.T) {
	svc := func(meta, spec string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n" + meta + "spec:\n" + spec
	}
	// Flux's field set of a Service port it applied without a targetPort: the typed form sends
	// targetPort 0 and protocol TCP, so it owns both.
	const fluxPorts = `{f:spec: {f:ports: {'k:{"port":80,"protocol":"TCP"}': {.: {}, f:name: {}, f:port: {}, f:protocol: {}, f:targetPort: {}}}}}`
	tests := []struct {
		name          string
		desired, live string
		want          []Field
	}{{
		name:    "a targetPort Git leaves out is the port live: not stale",
		desired: svc("", "  ports: [{name: http, port: 80}]\n"),
		live:    svc(managed("kustomize-controller", "Apply", fluxPorts), "  ports: [{name: http, port: 80, protocol: TCP, targetPort: 80}]\n"),
		want:    []Field{},
	}, {
		name:    "a targetPort Git dropped is stale, though the typed form sends one",
		desired: svc("", "  ports: [{name: http, port: 80}]\n"),
		live:    svc(managed("kustomize-controller", "Apply", fluxPorts), "  ports: [{name: http, port: 80, protocol: TCP, targetPort: http}]\n"),
		want: []Field{{Path: "spec.ports[port=80].targetPort", Live: "http", Category: PortChange, Severity: Medium,
			Manager: "kustomize-controller"}},
	}, {
		name:    "a targetPort Git sets is compared as in rule 1",
		desired: svc("", "  ports: [{name: http, port: 80, targetPort: http}]\n"),
		live:    svc(managed("kustomize-controller", "Apply", fluxPorts), "  ports: [{name: http, port: 80, protocol: TCP, targetPort: 8080}]\n"),
		want: []Field{{Path: "spec.ports[port=80].targetPort", Desired: "http", Live: 8080.0, Category: PortChange,
			Severity: Medium, Manager: "kustomize-controller"}},
	}, {
		name:    "a port protocol Git leaves out is TCP live: not stale",
		desired: deploy("", container+"        ports: [{containerPort: 8080}]\n"),
		live: deploy(managed("kustomize-controller", "Apply",
			`{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:ports: {'k:{"containerPort":8080,"protocol":"TCP"}': {.: {}, f:containerPort: {}, f:protocol: {}}}}}}}}}`),
			container+"        ports: [{containerPort: 8080, protocol: TCP}]\n"),
		want: []Field{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffYAML(t, newTestDiffer(t, nil), tt.desired, tt.live)
			if diff := cmp.Diff(tt.want, got.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
