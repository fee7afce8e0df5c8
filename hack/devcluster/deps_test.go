package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoTestCode: the dev cluster is a program people run; it links neither envtest nor
// Go's testing package (through a test harness or a library's test runner).
func TestLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "testing" || strings.Contains(p, "envtest") {
			t.Errorf("bin/devcluster links %s", p)
		}
	}
}
