// Package report_test runs `driftgate report` end to end against a real API server: a grant is
// requested and approved, a person's writes under it are recorded by driftgate's webhook, the
// records are resolved as the audit would, and the built CLI reports on the ticket.
package report_test

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
const writerRole = "test-report-writer"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cfg := config.Default()
	cfg.BreakGlass.ClusterRole = writerRole
	return testenv.Run(m, testenv.Options{
		Config:              cfg,
		ClusterRoles:        []rbacv1.ClusterRole{readerRole(), writer()},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{testenv.Binding("test-reader", "test-reader", testenv.GroupSubject("system:authenticated"))},
		GrantController:     true,
		CLI:                 true,
	}, func(c *testenv.Cluster) { cluster = c })
}

// readerRole: everyone reads workloads, requests and approves grants and reads records; nobody
// but the admin reads GitSources.
func readerRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

func writer() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: writerRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"update", "patch"}},
		},
	}
}
