// Package flux_test runs Flux's real source-controller and kustomize-controller (built from
// their Go modules by hack/flux.sh; DRIFTGATE_FLUX names the directory) against a real API server
// with driftgate's webhook in it: Flux syncs a Git repository served on loopback through
// driftgate, with its controllers' own service-account tokens.
package flux_test

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
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	fluxDir := os.Getenv("DRIFTGATE_FLUX")
	if fluxDir == "" {
		fmt.Fprintln(os.Stderr, "DRIFTGATE_FLUX is not set: run `make test`, which builds Flux's controllers (hack/flux.sh) and sets it")
		return 1
	}
	var err error
	if git, err = testutil.NewGitServer(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer git.Close()
	defer flux.stop()
	return testenv.Run(m, testenv.Options{
		GrantController: true, Audit: true,
		ClusterRoles: []rbacv1.ClusterRole{peopleRole(), {
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
		if _, err := envtest.InstallCRDs(c.Admin, envtest.CRDInstallOptions{Paths: []string{filepath.Join(fluxDir, "crds")}, ErrorIfPathMissing: true}); err != nil {
			setupErr = fmt.Errorf("installing Flux's CRDs: %w", err)
			return
		}
		setupErr = flux.start(context.Background(), fluxDir)
	})
}

// peopleRole lets everyone read workloads and request, approve and read grants and records;
// writing workloads comes from a grant's Role (built from the built-in edit role).
func peopleRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-people"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits", "gitsources"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
}

// setupErr is why Flux could not be started; every test fails with it.
var setupErr error

// needFlux fails the test when Flux is not running.
func needFlux(t *testing.T) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("Flux is not running: %v", setupErr)
	}
}
