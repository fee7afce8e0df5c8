// Package backport_test runs the commands that close the loop from the CLI against a real API
// server with driftgate's webhook in it: `driftgate audit --remediate` puts Git's state back on
// objects no GitOps controller applies. (The backport and revert of a ticket's edits through
// real Flux are in test/flux.)
package backport_test

import (
	"os"
	"testing"

	"github.com/driftgate/driftgate/test/testenv"
)

var cluster *testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{CLI: true}, func(c *testenv.Cluster) { cluster = c }))
}
