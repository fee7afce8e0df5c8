// Package flux_test runs Flux's real source-controller and kustomize-controller (built from
// their Go modules by hack/flux.sh; DRIFTGATE_FLUX names the directory) against a real API server
// with driftgate's webhook in it: Flux syncs a Git repository served on loopback through
// driftgate, with its controllers' own service-account tokens.
package flux_test

import (
	"os"
	"testing"

	"github.com/driftgate/driftgate/test/gitopstest"
)

var (
	// suite is the test cluster and the Git server Flux syncs from.
	suite gitopstest.Suite
	// flux is the running controllers.
	flux controllers
)

func TestMain(m *testing.M) {
	os.Exit(gitopstest.Main(m, "DRIFTGATE_FLUX", "hack/flux.sh", &suite, &flux))
}
