package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIgnoreManagers: an ignore rule's managers make what they own whole on the live object no
// drift (an Argo CD Application's managedFieldsManagers), on the objects the rule selects only;
// what another manager changed is still drift.
func TestIgnoreManagers(t *testing.T) {
	desired := deploy("", "  replicas: 1\n"+container)
	live := deploy(managed("hpa-controller", "Update", "{f:spec: {f:replicas: {}}}")+
		entry("kubectl-edit", "Update", appImage),
		"  replicas: 5\n"+"  template:\n    spec:\n      containers:\n      - name: app\n        image: web:2\n")
	for _, tt := range []struct {
		name  string
		rules []IgnoreRule
		want  []string
	}{
		{"no rule", nil, []string{"spec.replicas", "spec.template.spec.containers[name=app].image"}},
		{"the manager's fields", []IgnoreRule{{Kind: "Deployment", Name: "web", Managers: []string{"hpa-controller"}}},
			[]string{"spec.template.spec.containers[name=app].image"}},
		{"another object's rule", []IgnoreRule{{Kind: "Deployment", Name: "api", Managers: []string{"hpa-controller"}}},
			[]string{"spec.replicas", "spec.template.spec.containers[name=app].image"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDiffer(t, func(o *Options) { o.IgnoreRules = tt.rules })
			if diff := cmp.Diff(tt.want, paths(diffYAML(t, d, desired, live).Fields)); diff != "" {
				t.Errorf("drifted paths (-want +got):\n%s", diff)
			}
		})
	}
}
