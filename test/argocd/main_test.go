// Package argocd_test runs Argo CD's real application controller and repo server (built from
// their Go module by hack/argocd.sh; DRIFTGATE_ARGOCD names the directory), with Redis, against
// a real API server with driftgate's webhook in it: Argo CD syncs Git repositories served on
// loopback through driftgate, with its controller's own service-account token.
package argocd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/driftgate/driftgate/internal/testenv"
	"github.com/driftgate/driftgate/internal/testutil"
)

var (
	cluster *testenv.Cluster
	// git serves the tests' repositories over HTTP.
	git *testutil.GitServer
	// argo is the running Argo CD.
	argo components
	// setupErr is why Argo CD could not be started; every test fails with it.
	setupErr error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir := os.Getenv("DRIFTGATE_ARGOCD")
	if dir == "" {
		fmt.Fprintln(os.Stderr, "DRIFTGATE_ARGOCD is not set: run `make test`, which builds Argo CD (hack/argocd.sh) and sets it")
		return 1
	}
	var err error
	if git, err = testutil.NewGitServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer git.Close()
	defer argo.stop()
	return testenv.Run(m, testenv.Options{
		GrantController: true, Audit: true,
		ClusterRoles: []rbacv1.ClusterRole{{
			ObjectMeta: metav1.ObjectMeta{Name: "test-people"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
				{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits", "gitsources"}, Verbs: []string{"get", "list", "watch"}},
			},
		}, {
			ObjectMeta: metav1.ObjectMeta{Name: "test-deployment-writer"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"update", "patch"}}},
		}},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			testenv.Binding("test-people", "test-people", testenv.GroupSubject("system:authenticated")),
			// carol may write Deployments everywhere as far as RBAC goes: driftgate stops her.
			testenv.Binding("test-carol-writes", "test-deployment-writer", testenv.UserSubject("carol")),
		},
	}, func(c *testenv.Cluster) {
		cluster = c
		if _, err := envtest.InstallCRDs(c.Admin, envtest.CRDInstallOptions{Paths: []string{filepath.Join(dir, "crds")}, ErrorIfPathMissing: true}); err != nil {
			setupErr = fmt.Errorf("installing Argo CD's CRDs: %w", err)
			return
		}
		setupErr = argo.start(context.Background(), dir)
	})
}

// needArgo fails the test when Argo CD is not running.
func needArgo(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("Argo CD is not running: %v", setupErr)
	}
}
