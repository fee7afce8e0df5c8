package testutil

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Golden compares got with the file at path, line by line, or rewrites the file when update is
// set (the package's -update flag). pkg is the package path to name in the hint.
func Golden(t testing.TB, path, got string, update bool, pkg string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test %s -update` to create it)", err, pkg)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s\nIf the change is intended, run `go test %s -update` and review the diff.", path, diff, pkg)
	}
}
