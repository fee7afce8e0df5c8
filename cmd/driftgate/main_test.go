package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

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
		{"a failing Rego test", []string{"policy", "test", "testdata/failing-policy"}, 1},
		{"a skipped Rego test", []string{"policy", "test", "testdata/todo-policy"}, 0},
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

// TestPolicyEvalJSON: `policy eval -o json` gives at least allowed, reason, warnings and grant
// (issue 2, CLI).
func TestPolicyEvalJSON(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantAllowed bool
		wantGrant   string
		wantWarning bool
	}{
		{"break-glass write", []string{"--grants", "testdata/grants.yaml"}, true, "inc-4242-alice", true},
		{"denied write", nil, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newRootCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetArgs(append([]string{"policy", "eval", "--review", "testdata/review-alice.json", "--now=2026-11-21T10:30:00Z", "-o", "json"}, tt.args...))
			_ = cmd.Execute() // a denial ends with exit code 1; the answer is on stdout either way
			var got struct {
				Allowed  *bool    `json:"allowed"`
				Reason   *string  `json:"reason"`
				Warnings []string `json:"warnings"`
				Grant    *string  `json:"grant"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON (%v): %s", err, out.String())
			}
			if got.Allowed == nil || got.Reason == nil || got.Grant == nil || !strings.Contains(out.String(), `"warnings"`) {
				t.Fatalf("output lacks allowed, reason, warnings or grant: %s", out.String())
			}
			if *got.Allowed != tt.wantAllowed || *got.Grant != tt.wantGrant || *got.Reason == "" || (len(got.Warnings) > 0) != tt.wantWarning {
				t.Errorf("allowed %v, grant %q, reason %q, warnings %q; want allowed %v, grant %q, a reason, warnings %v",
					*got.Allowed, *got.Grant, *got.Reason, got.Warnings, tt.wantAllowed, tt.wantGrant, tt.wantWarning)
			}
		})
	}
}

// TestPolicyTestOutput: `policy test` names a failing test with a reason, a skipped one as SKIP,
// and counts both in its summary.
func TestPolicyTestOutput(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{"testdata/failing-policy", []string{
			"FAIL data.driftgate.admission_test.test_gitops_writer_is_a_person: the test is false or undefined",
			" passed, 1 failed\n",
		}},
		{"testdata/todo-policy", []string{
			"SKIP data.driftgate.admission_test.todo_test_rollout_restart_permitted\n",
			" passed, 0 failed, 1 skipped\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			cmd := newRootCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetArgs([]string{"policy", "test", tt.dir})
			_ = cmd.Execute() // a failure ends with exit code 1 (TestExitCodes)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestServeRefusesNoAPIRate: a rate limit of zero is refused before anything connects, with the
// flags named (any later failure, such as no cluster, would say something else).
func TestServeRefusesNoAPIRate(t *testing.T) {
	for _, args := range [][]string{{"--kube-api-qps", "0"}, {"--kube-api-burst", "-1"}} {
		cmd := newRootCommand()
		cmd.SetArgs(append([]string{"serve", "--kubeconfig", "testdata/absent-kubeconfig"}, args...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), "--kube-api-qps and --kube-api-burst must be positive") {
			t.Errorf("serve %v: %v, want the rate limit refused", args, err)
		}
	}
}
