package chart_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/internal/testutil"
)

// goldenNamespace is the release namespace of the golden render.
const goldenNamespace = "driftgate-system"

// TestLint: `helm lint --strict` (warnings fail too) passes with every value set.
func TestLint(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			args := append([]string{"lint", "--strict", "charts/driftgate", "--namespace", goldenNamespace}, vs.valuesArgs()...)
			out := helm(t, args...)
			for _, bad := range []string{"[ERROR]", "[WARNING]"} {
				if strings.Contains(out, bad) {
					t.Errorf("helm lint reported %s:\n%s", bad, out)
				}
			}
		})
	}
}

// TestGolden: the default render is testdata/default.golden.yaml, so every change to what the
// chart installs by default is reviewed as a diff of that file.
func TestGolden(t *testing.T) {
	got := renderText(t, valueSets[0], goldenNamespace)
	testutil.Golden(t, filepath.Join("testdata", "default.golden.yaml"), got, *update, "./test/chart")
}
