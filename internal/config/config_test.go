package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/config"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
	}{
		{"empty file keeps defaults", "", ""},
		{"mode warn", "mode: warn", ""},
		{"tenant service account", "identities:\n  fluxTenantServiceAccounts: [team-a/flux]", ""},
		{"unknown field", "moode: warn", `unknown field "moode"`},
		{"bad mode", "mode: loud", `mode "loud": want enforce, warn or dryrun`},
		{"no gitops identities", "identities:\n  gitops: []", "identities.gitops is empty"},
		{"bad tenant", "identities:\n  fluxTenantServiceAccounts: [team-a]", `"team-a" is not namespace/name`},
		{"no markers", "markers:\n  annotations: []\n  labels: []", "no ownership marker configured"},
		{"zero timeout", "policy:\n  timeout: 0s", "policy.timeout 0s: must be positive"},
		{"bad duration", "policy:\n  timeout: soon", "not a valid driftgate.yaml"},
		{"bad failure policy", "webhook:\n  failurePolicy: Maybe", `webhook.failurePolicy "Maybe"`},
		{"timeout out of range", "webhook:\n  timeoutSeconds: 31", "webhook.timeoutSeconds 31: want 1 to 30"},
		{"bad ticket pattern", "breakGlass:\n  ticketPattern: '(['", "breakGlass.ticketPattern"},
		{"negative approvals", "breakGlass:\n  approvalsRequired: -1", "must not be negative"},
		{"wrong kind", "kind: Deployment", `kind "Deployment": want Config`},
		{"not yaml", "mode: [", "not a valid driftgate.yaml"},
		{"audit ignore rule", "audit:\n  ignore: [{kind: Deployment, paths: [spec.replicas]}]", ""},
		{"audit resync too long", "audit:\n  resync: 11m", "audit.resync 11m0s: want more than 0 and at most 10m"},
		{"audit without work dir", "audit:\n  workDir: ''", "audit.workDir is empty"},
		{"audit ignore rule without paths", "audit:\n  ignore: [{kind: Deployment}]", "audit.ignore[0]: no paths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := config.Parse([]byte(tt.yaml), config.Default())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestLoadMergesOverDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "driftgate.yaml")
	raw := "mode: dryrun\nidentities:\n  fluxTenantServiceAccounts: [team-a/flux]\n"
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != config.ModeDryRun {
		t.Errorf("mode = %q, want dryrun", cfg.Mode)
	}
	want := append(config.Default().Identities.GitOps, "system:serviceaccount:team-a:flux")
	if diff := cmp.Diff(want, cfg.GitOpsIdentities()); diff != "" {
		t.Errorf("GitOps identities (-want +got):\n%s", diff)
	}
	if cfg.EvaluationTimeout() != config.Default().EvaluationTimeout() {
		t.Errorf("a field the file left out lost its default")
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml")); err == nil {
		t.Fatal("a missing config file was accepted")
	}
}

func TestExempt(t *testing.T) {
	cfg := config.Default()
	cfg.ExemptNamespaces = []string{"monitoring"}
	for ns, want := range map[string]bool{"kube-system": true, "driftgate-system": true, "monitoring": true, "prod": false, "": false} {
		if got := cfg.Exempt(ns); got != want {
			t.Errorf("Exempt(%q) = %v, want %v", ns, got, want)
		}
	}
}
