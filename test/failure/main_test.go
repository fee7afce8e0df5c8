// Package failure_test runs `driftgate serve` as a process against a real API server and then
// takes things away from it, to see what admission does: driftgate stopped (owned objects fail
// closed, nothing else does), its registration deleted (writes come back; driftgate recreates
// it), its certificate rotated (no request fails), its API server unreachable (decisions from
// the caches, break-glass writes denied rather than unrecorded), a shutdown (readiness fails
// first, then the server drains) and two replicas (both serve, one leads).
package failure_test

import (
	"fmt"
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
	"github.com/driftgate/driftgate/webhook"
)

var (
	cluster *testenv.Cluster
	// registeredPort is where the registration sends the API server: the one driftgate that
	// the API server calls listens there.
	registeredPort int
)

const approvers = "driftgate-approvers"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	registeredPort = port
	cfg := config.Default()
	cfg.Webhook.URL = fmt.Sprintf("https://127.0.0.1:%d%s", port, webhook.Path)
	return testenv.Run(m, testenv.Options{
		Config:   cfg,
		External: true,
		// The API server presents a client certificate to webhooks; a driftgate started with
		// --client-ca checks it (forged_test.go), the others ignore it.
		WebhookClientCert: true,
		CLI:               true,
		ClusterRoles:      []rbacv1.ClusterRole{personRole(), leaseRole()},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			testenv.Binding("test-person", "test-person", testenv.GroupSubject("system:authenticated")),
			testenv.Binding("test-driftgate-leases", "test-leases", testenv.UserSubject(cfg.SelfIdentity())),
		},
	}, func(c *testenv.Cluster) { cluster = c })
}

// personRole: everyone may write ConfigMaps and Deployments (RBAC only: driftgate decides
// about owned ones), request and approve grants, and read records.
func personRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-person"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

// leaseRole is what leader election needs (the chart grants it in driftgate's namespace).
func leaseRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-leases"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
		},
	}
}

func freePort() (int, error) {
	p, err := testutil.FreePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
