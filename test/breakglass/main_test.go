// Package breakglass_test runs the break-glass story end to end against a real API server:
// people request, approve, deny and revoke grants; driftgate's grant controller binds and
// unbinds RBAC; its webhook admits and records writes made under grants.
package breakglass_test

import (
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/test/testenv"
)

var cluster *testenv.Cluster

// writerRole is what an active grant binds: it alone lets people write workloads.
const writerRole = "test-breakglass-writer"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cfg := config.Default()
	cfg.BreakGlass.ClusterRole = writerRole
	cfg.BreakGlass.TicketPattern = `^INC-[0-9]+$`
	return testenv.Run(m, testenv.Options{
		Config:              cfg,
		ClusterRoles:        []rbacv1.ClusterRole{readerRole(), writer()},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{testenv.Binding("test-reader", "test-reader", testenv.GroupSubject("system:authenticated"))},
		GrantController:     true,
		CLI:                 true,
	}, func(c *testenv.Cluster) { cluster = c })
}

// readerRole: everyone reads workloads, requests and approves grants, reads records. Nobody
// writes workloads without a grant's RoleBinding.
func readerRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}},
			// Namespaces: RBAC lets everyone relabel them, so only driftgate stands between a
			// grant holder and the owned Namespace object of the grant's namespace.
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

func writer() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: writerRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"update", "patch"}},
			// What the built-in edit role also holds, which no grant may hand over unless it
			// names the resource (secrets), and never (impersonation, tokens, RBAC).
			{APIGroups: []string{""}, Resources: []string{"secrets", "serviceaccounts"}, Verbs: []string{"get", "list", "update"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}},
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, Verbs: []string{"create"}},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings", "roles"}, Verbs: []string{"*"}},
		},
	}
}
