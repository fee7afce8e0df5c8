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
	return testenv.Run(m, gitopstest.Options(), func(c *testenv.Cluster) {
		cluster, suite = c, gitopstest.Suite{Cluster: c}
		if _, err := envtest.InstallCRDs(c.Admin, envtest.CRDInstallOptions{Paths: []string{filepath.Join(fluxDir, "crds")}, ErrorIfPathMissing: true}); err != nil {
			setupErr = fmt.Errorf("installing Flux's CRDs: %w", err)
			return
		}
		setupErr = flux.start(context.Background(), fluxDir)
	})
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
