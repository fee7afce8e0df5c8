package chart_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
	path := filepath.Join("testdata", "default.golden.yaml")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./test/chart -update` to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("the default render differs from %s (-want +got):\n%s\nIf the change is intended, run `go test ./test/chart -update` and review the diff.", path, diff)
	}
}
