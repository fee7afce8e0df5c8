// Package argocd_test runs Argo CD's real application controller and repo server (built from
// their Go module by hack/argocd.sh; DRIFTGATE_ARGOCD names the directory), with Redis, against
// a real API server with driftgate's webhook in it: Argo CD syncs Git repositories served on
// loopback through driftgate, with its controller's own service-account token.
package argocd_test

import (
	"os"
	"testing"

	"github.com/driftgate/driftgate/test/gitopstest"
)

var (
	// suite is the test cluster and the Git server Argo CD syncs from.
	suite gitopstest.Suite
	// argo is the running Argo CD.
	argo components
)

func TestMain(m *testing.M) {
	os.Exit(gitopstest.Main(m, "DRIFTGATE_ARGOCD", "hack/argocd.sh", &suite, &argo))
}
