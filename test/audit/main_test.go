// Package audit_test runs the audit loop against a real API server and real Git repositories:
// GitOps applies, people edit under grants, the GitSource status shows the drift, and every
// break-glass edit's backport state follows Git and the live object.
package audit_test

import (
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/test/testenv"
)

var cluster *testenv.Cluster

// writerRole is what an active grant binds.
const writerRole = "test-audit-writer"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cfg := config.Default()
	cfg.BreakGlass.ClusterRole = writerRole
	return testenv.Run(m, testenv.Options{
		Config:       cfg,
		ClusterRoles: []rbacv1.ClusterRole{people(), writer()},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			testenv.Binding("test-people", "test-people", testenv.GroupSubject("system:authenticated")),
		},
		GrantController: true,
		Audit:           true,
		CLI:             true,
	}, func(c *testenv.Cluster) { cluster = c })
}

// people read workloads, request and approve grants, and read records; writing workloads takes
// a grant's RoleBinding (or a test's own binding of writerRole).
func people() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-people"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits", "gitsources"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

func writer() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: writerRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"update", "patch"}},
		},
	}
}
