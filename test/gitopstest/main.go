package gitopstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// Controller is the GitOps controller a suite runs beside driftgate, from the directory make
// test builds it into.
type Controller interface {
	Start(ctx context.Context, dir string) error
	Stop()
}

// Main runs a suite's tests beside a GitOps controller: dirEnv names the directory make test
// builds it into (with its crds/; builder is the script that does). It starts a Git server and
// the test cluster with driftgate (Options), installs the controller's CRDs and starts it; s is
// filled for the tests, which call s.Need first.
func Main(m *testing.M, dirEnv, builder string, s *Suite, c Controller) int {
	dir := os.Getenv(dirEnv)
	if dir == "" {
		fmt.Fprintf(os.Stderr, "%s is not set: run `make test`, which builds the controller (%s) and sets it\n", dirEnv, builder)
		return 1
	}
	git, err := testutil.NewGitServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer git.Close()
	s.Git = git
	defer c.Stop()
	return testenv.Run(m, Options(), func(cl *testenv.Cluster) {
		s.Cluster = cl
		crds := filepath.Join(dir, "crds")
		if _, err := envtest.InstallCRDs(cl.Admin, envtest.CRDInstallOptions{Paths: []string{crds}, ErrorIfPathMissing: true}); err != nil {
			s.setupErr = fmt.Errorf("installing the CRDs in %s: %w", crds, err)
			return
		}
		// The audit loop discovers the GitOps objects of the kinds the cluster serves when it
		// starts: start it again now that the controller's kinds are served.
		cl.StopAudit()
		if err := cl.StartAudit(context.Background()); err != nil {
			s.setupErr = fmt.Errorf("restarting the audit loop: %w", err)
			return
		}
		s.setupErr = c.Start(context.Background(), dir)
	})
}

// Need fails the test when the GitOps controller did not start.
func (s Suite) Need(t *testing.T) {
	t.Helper()
	if s.setupErr != nil {
		t.Fatalf("the GitOps controller is not running: %v", s.setupErr)
	}
}
