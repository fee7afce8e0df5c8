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

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/driftgate/driftgate/internal/testenv"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/gitopstest"
)

var (
	cluster *testenv.Cluster
	suite   gitopstest.Suite
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
	return testenv.Run(m, gitopstest.Options(), func(c *testenv.Cluster) {
		cluster, suite = c, gitopstest.Suite{Cluster: c}
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
