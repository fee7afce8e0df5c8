package main

import (
	"os"
	"strings"
	"testing"
)

// TestDiffExitCodes checks `driftgate diff`'s exit codes (docs/reference.md) on cases of the
// project's drift corpus.
func TestDiffExitCodes(t *testing.T) {
	const corpus = "../../test/fixtures/drift/"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no --desired", []string{"diff", "--live", "x"}, 2},
		{"--cluster is not available yet", []string{"diff", "--desired", "testdata", "--cluster"}, 2},
		{"unknown output", []string{"diff", "--desired", "x", "--live", "x", "-o", "xml"}, 2},
		{"absent desired", []string{"diff", "--desired", "testdata/absent", "--live", "testdata/absent"}, 2},
		{"in sync", []string{"diff", "--desired", corpus + "coredns-07-git-reordered-ports-argo/desired", "--live", corpus + "coredns-07-git-reordered-ports-argo/live"}, 0},
		{"drift", []string{"diff", "--desired", corpus + "guestbook-08-no-managed-fields-argo/desired", "--live", corpus + "guestbook-08-no-managed-fields-argo/live", "-o", "json"}, 1},
		{"drift ignored", []string{"diff", "--desired", corpus + "guestbook-08-no-managed-fields-argo/desired", "--live", corpus + "guestbook-08-no-managed-fields-argo/live",
			"--ignore-fields", "spec.template.spec.containers[*].image"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(corpus); err != nil && strings.Contains(strings.Join(tt.args, " "), corpus) {
				t.Fatalf("no drift corpus at %s", corpus)
			}
			if got := execute(tt.args); got != tt.want {
				t.Errorf("driftgate %v exited %d, want %d", tt.args, got, tt.want)
			}
		})
	}
}
