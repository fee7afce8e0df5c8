package main

import "testing"

// TestExitCodes checks the SPEC's exit codes: 0 success or allowed, 1 denied or failed check,
// 2 usage or runtime error.
func TestExitCodes(t *testing.T) {
	const at = "--now=2026-11-21T10:30:00Z"
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"version", []string{"version"}, 0},
		{"shipped policy tests", []string{"policy", "test"}, 0},
		{"gitops write allowed", []string{"policy", "eval", "--review", "testdata/review-argocd.json", at}, 0},
		{"person denied", []string{"policy", "eval", "--review", "testdata/review-alice.json", at}, 1},
		{"person with grant allowed", []string{"policy", "eval", "--review", "testdata/review-alice.json", "--grants", "testdata/grants.yaml", at, "-o", "json"}, 0},
		{"grant expired by --now", []string{"policy", "eval", "--review", "testdata/review-alice.json", "--grants", "testdata/grants.yaml", "--now=2026-11-21T12:00:00Z"}, 1},
		{"missing review file", []string{"policy", "eval", "--review", "testdata/absent.json"}, 2},
		{"grants file is not grants", []string{"policy", "eval", "--review", "testdata/review-alice.json", "--grants", "testdata/review-alice.json"}, 2},
		{"unknown output", []string{"policy", "eval", "--review", "testdata/review-alice.json", "-o", "xml"}, 2},
		{"serve with a bad config", []string{"serve", "--config", "testdata/bad-config.yaml"}, 2},
		{"policy test with a bad config", []string{"policy", "test", "--config", "testdata/bad-config.yaml"}, 2},
		{"unknown command", []string{"frobnicate"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := execute(tt.args); got != tt.want {
				t.Errorf("driftgate %v exited %d, want %d", tt.args, got, tt.want)
			}
		})
	}
}
