package policies_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/policies/regotest"
)

func TestRegoUnitTests(t *testing.T) {
	results, err := regotest.RunTests(context.Background(), policies.Embedded(true), policies.Data(config.Default()))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 10 {
		t.Fatalf("ran %d Rego tests, expected the shipped suite (at least 10)", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s (%s): %s", r.Name, r.File, r.Detail)
		}
	}
}

// requestTime is personInput's time; activeGrant covers it.
var (
	requestTime = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)
	activeGrant = policies.Grant{Name: "inc-1-alice", Ticket: "INC-1", Phase: "Active", ExpiresAt: requestTime.Add(30 * time.Minute)}
)

func personInput() *policies.Input {
	return &policies.Input{
		Operation: "UPDATE", User: "alice", Groups: []string{"system:authenticated"},
		Resource: "deployments.apps", Kind: "Deployment", Namespace: "prod", Name: "checkout",
		Mode: "enforce", Time: requestTime,
		Ownership: policies.Ownership{Owned: true, Owner: `Argo CD application "checkout"`, Marker: "argocd.argoproj.io/tracking-id"},
	}
}

// evaluate decides personInput changed by edit.
func evaluate(t *testing.T, e *policies.Engine, edit func(*policies.Input)) policies.Decision {
	t.Helper()
	in := personInput()
	edit(in)
	d, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newEngine(t testing.TB, extra policies.Modules, timeout time.Duration) *policies.Engine {
	t.Helper()
	e, err := policies.NewEngine(context.Background(), policies.Data(config.Default()), timeout, extra)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineDecisions(t *testing.T) {
	e := newEngine(t, nil, time.Second)
	tests := []struct {
		name string
		edit func(*policies.Input)
		want policies.Decision
	}{
		{"person denied", func(*policies.Input) {}, policies.Decision{Allowed: false, Writer: "person", Warnings: []string{}}},
		{"gitops allowed", func(in *policies.Input) {
			in.User, in.Credential = "system:serviceaccount:flux-system:kustomize-controller", "JTI"
		},
			policies.Decision{Allowed: true, Reason: "GitOps identity", Writer: "gitops", Warnings: []string{}}},
		{"grant allows", func(in *policies.Input) { in.Grants = []policies.Grant{activeGrant} },
			policies.Decision{Allowed: true, Reason: "break-glass grant inc-1-alice (ticket INC-1)", Writer: "person",
				Grant: "inc-1-alice", Ticket: "INC-1", Record: true,
				AuditAnnotations: map[string]string{"grant": "inc-1-alice", "ticket": "INC-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(t, e, tt.edit)
			if !got.Allowed {
				got.Reason = "" // deny texts are checked by the Rego tests
			}
			if tt.want.Record {
				got.Warnings = nil // warning text is checked by the Rego tests
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

// personDenial is the default policy's refusal of personInput.
const personDenial = `Deployment prod/checkout is owned by Argo CD application "checkout"; alice is not a GitOps identity ` +
	`and holds no active break-glass grant for deployments.apps in namespace prod. Change it in Git, or request ` +
	`break-glass: driftgate breakglass request --namespace prod --resource deployments.apps --for 1h --ticket <TICKET> --reason "<why>"`

// TestOperatorRules checks the answers when operators' warn and deny rules are loaded: the policy
// answers the usual case, no warn rules, on branches of its own (see admission.rego).
func TestOperatorRules(t *testing.T) {
	extra := policies.Modules{"extra.rego": `package driftgate.admission
warn contains "check the dashboard" if input.namespace == "prod"
warn contains "a dry-run" if input.dryRun
deny contains "prod is frozen" if input.user.name == "system:serviceaccount:argocd:argocd-application-controller"
permit contains "hotfix window" if input.name == "hotfix"
enforced if input.name == "frozen"
`}
	// Without warn rules the policy takes its branches for the usual case.
	noWarn := policies.Modules{"extra.rego": `package driftgate.admission
permit contains "hotfix window" if input.name == "hotfix"
enforced if input.name == "frozen"
`}
	engines := map[bool]*policies.Engine{true: newEngine(t, extra, time.Second), false: newEngine(t, noWarn, time.Second)}
	expired, expiringNow, revoked := activeGrant, activeGrant, activeGrant
	expired.ExpiresAt = requestTime.Add(-time.Second)
	expiringNow.ExpiresAt = requestTime
	revoked.Phase = "Revoked"
	bgWarning := func(object string) string {
		return "driftgate: break-glass write to " + object + ` (owned by Argo CD application "checkout") under grant inc-1-alice, ` +
			"ticket INC-1: it is recorded and must be backported to Git or reverted"
	}
	bgDryRunWarning := "driftgate: dry run of a break-glass write to Deployment prod/checkout (owned by Argo CD application " +
		`"checkout") under grant inc-1-alice, ticket INC-1: allowed; nothing was recorded, and a real write would be ` +
		"recorded and must be backported to Git or reverted"
	tests := []struct {
		name         string
		edit         func(*policies.Input)
		wantAllowed  bool
		wantReason   string
		wantWarnings []string
		noWarnRules  bool
	}{
		{"GitOps write, warned", func(in *policies.Input) {
			in.User, in.Credential = "system:serviceaccount:flux-system:kustomize-controller", "JTI"
		},
			true, "GitOps identity", []string{"driftgate: check the dashboard"}, false},
		{"GitOps write, denied", func(in *policies.Input) {
			in.User, in.Credential = "system:serviceaccount:argocd:argocd-application-controller", "JTI"
		},
			false, "prod is frozen", []string{"driftgate: check the dashboard"}, false},
		{"break-glass write, warned", func(in *policies.Input) { in.Grants = []policies.Grant{activeGrant} },
			true, "break-glass grant inc-1-alice (ticket INC-1)",
			[]string{bgWarning("Deployment prod/checkout"), "driftgate: check the dashboard"}, false},
		{"break-glass dry-run, warnings sorted", func(in *policies.Input) { in.Grants = []policies.Grant{activeGrant}; in.DryRun = true },
			true, "break-glass grant inc-1-alice (ticket INC-1)",
			[]string{"driftgate: a dry-run", "driftgate: check the dashboard", bgDryRunWarning}, false},
		{"break-glass write to a cluster-scoped object", func(in *policies.Input) {
			in.Grants, in.Namespace, in.Kind, in.Name = []policies.Grant{activeGrant}, "", "ClusterRole", "view"
		}, true, "break-glass grant inc-1-alice (ticket INC-1)", []string{bgWarning("ClusterRole view")}, false},
		{"a permit rule comes before a grant", func(in *policies.Input) { in.Grants, in.Name = []policies.Grant{activeGrant}, "hotfix" },
			true, "permitted by policy: hotfix window", []string{"driftgate: check the dashboard"}, false},
		{"refusal, warned", func(*policies.Input) {}, false, personDenial, []string{"driftgate: check the dashboard"}, false},
		{"refusal in warn mode", func(in *policies.Input) { in.Mode = "warn" }, true, "warn mode: would deny: " + personDenial, []string{
			"driftgate warn mode: this write would be denied: " + personDenial,
			"driftgate: check the dashboard",
		}, false},
		{"refusal in warn mode where an operator rule enforces", func(in *policies.Input) { in.Mode, in.Name = "warn", "frozen" },
			false, strings.Replace(personDenial, "prod/checkout", "prod/frozen", 1), []string{"driftgate: check the dashboard"}, false},
		{"no warn rules: a permit rule comes before a grant", func(in *policies.Input) { in.Grants, in.Name = []policies.Grant{activeGrant}, "hotfix" },
			true, "permitted by policy: hotfix window", []string{}, true},
		{"no warn rules: an expired grant allows nothing", func(in *policies.Input) { in.Grants = []policies.Grant{expired} },
			false, personDenial, []string{}, true},
		{"no warn rules: a grant expiring now allows nothing", func(in *policies.Input) { in.Grants = []policies.Grant{expiringNow} },
			false, personDenial, []string{}, true},
		{"no warn rules: a grant that is not active allows nothing", func(in *policies.Input) { in.Grants = []policies.Grant{revoked} },
			false, personDenial, []string{}, true},
		{"no warn rules: a request without a time allows no grant", func(in *policies.Input) {
			in.Grants, in.Time = []policies.Grant{activeGrant}, time.Time{}
		}, false, personDenial, []string{}, true},
		{"no warn rules: a system controller's write with an expired grant", func(in *policies.Input) {
			in.User, in.Credential, in.Grants = "system:kube-controller-manager", "X509SHA256", []policies.Grant{expired}
		}, true, "system controller", []string{}, true},
		{"no warn rules: refusal in warn mode where an operator rule enforces", func(in *policies.Input) { in.Mode, in.Name = "warn", "frozen" },
			false, strings.Replace(personDenial, "prod/checkout", "prod/frozen", 1), []string{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(t, engines[!tt.noWarnRules], tt.edit)
			if got.Allowed != tt.wantAllowed {
				t.Errorf("allowed = %v, want %v (%s)", got.Allowed, tt.wantAllowed, got.Reason)
			}
			if got.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", got.Reason, tt.wantReason)
			}
			if diff := cmp.Diff(tt.wantWarnings, got.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEngineFailsClosed(t *testing.T) {
	tests := []struct {
		name    string
		extra   string
		timeout time.Duration
		wantErr string
	}{
		{"evaluation error", `package driftgate.admission
deny contains x if { x := 1 / 0 }`, time.Second, "policy evaluation failed"},
		{"deadline", `package driftgate.admission
deny contains "slow" if { some i in numbers.range(1, 100000000); i < 0 }`, 20 * time.Millisecond, "deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, policies.Modules{"extra.rego": tt.extra}, tt.timeout)
			_, err := e.Evaluate(context.Background(), personInput())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadKeepsLastGoodPolicy(t *testing.T) {
	e := newEngine(t, nil, time.Second)
	before := e.Version()
	if err := e.Load(context.Background(), policies.Modules{"bad.rego": "package driftgate.admission\ndeny contains"}); err == nil {
		t.Fatal("a policy that does not compile was accepted")
	}
	if e.Version() != before {
		t.Fatal("a rejected policy replaced the one in force")
	}
	d, err := e.Evaluate(context.Background(), personInput())
	if err != nil || d.Allowed {
		t.Fatalf("after a rejected load: decision %+v, err %v; want the old policy's denial", d, err)
	}
}

func TestExtraPolicyPermitsRolloutRestart(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("examples", "rollout_restart.rego"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, policies.Modules{"rollout_restart.rego": string(src)}, time.Second)
	tests := []struct {
		paths   []string
		allowed bool
	}{
		{[]string{`spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`}, true},
		{[]string{`spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`, "spec.replicas"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		in := personInput()
		in.ChangedPaths = tt.paths
		d, err := e.Evaluate(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != tt.allowed {
			t.Errorf("changed %v: allowed = %v, want %v (%s)", tt.paths, d.Allowed, tt.allowed, d.Reason)
		}
	}
}
