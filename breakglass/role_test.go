package breakglass_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
)

// editLike is what the built-in edit role holds of the resources below (abridged), plus what a
// careless role could hold.
var editLike = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets", "serviceaccounts"}, Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
	{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}},
	{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale", "statefulsets"}, Verbs: []string{"get", "patch", "update"}},
	{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"*"}},
	{APIGroups: []string{"example.com"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"app"}, Verbs: []string{"deletecollection"}},
	{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}},
}

func TestGrantRules(t *testing.T) {
	tests := []struct {
		name      string
		resources []string
		want      []rbacv1.PolicyRule
	}{
		{"configmaps only, not secrets", []string{"configmaps"}, []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"app"}, Verbs: []string{"deletecollection"}},
		}},
		{"deployments with their scale subresource", []string{"deployments.apps"}, []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "patch", "update"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get", "patch", "update"}},
		}},
		{"service accounts without impersonate or tokens", []string{"serviceaccounts"}, []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}},
		}},
		{"a wildcard role: the named resource, * spelled out", []string{"widgets.example.com"}, []rbacv1.PolicyRule{
			{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
		}},
		{"RBAC objects never", []string{"rolebindings.rbac.authorization.k8s.io"}, []rbacv1.PolicyRule{}},
		{"what the role does not hold", []string{"ingresses.networking.k8s.io"}, []rbacv1.PolicyRule{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := breakglass.GrantRules(v1alpha1.GrantScope{Namespaces: []string{"prod"}, Resources: tt.resources}, editLike)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}
