package report

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// TestVerdict: ready only when every edit is Backported or Reverted; grants and missing grants do
// not decide it; a ticket without records is an error.
func TestVerdict(t *testing.T) {
	g := grant(t, grantName, "INC-1", "bob")
	resolved := []v1alpha1.BreakGlassEdit{
		backported(t, edit(t, "e1", grantName, "INC-1", "2026-11-21T10:05:00Z", "Deployment", "checkout", change{"spec.replicas", 2, 3}), "abc", "2026-11-21T11:00:00Z"),
		reverted(t, edit(t, "e2", grantName, "INC-1", "2026-11-21T10:06:00Z", "ConfigMap", "cfg", change{"data.A", "1", "2"}), "2026-11-21T11:00:00Z"),
	}
	open := edit(t, "e3", grantName, "INC-1", "2026-11-21T10:07:00Z", "ConfigMap", "cfg", change{"data.B", nil, "x"})
	open.Status.File, open.Status.GitSource = "cfg.yaml", "apps"
	undone := reverted(t, edit(t, "e4", grantName, "INC-1", "2026-11-21T10:08:00Z", "Deployment", "web", change{"spec.replicas", 2, 5}), "2026-11-21T10:09:30Z")
	undone.Status.File = "web.yaml"
	undone.Status.RevertedBy = &v1alpha1.Reverter{FieldManager: "kustomize-controller", GitOps: true, Time: ptrTo(at(t, "2026-11-21T10:09:00Z"))}
	skipped := edit(t, "e7", grantName, "INC-1", "2026-11-21T10:07:00Z", "ConfigMap", "cfg", change{"data.B", nil, "x"})
	skipped.Status.Conditions = []metav1.Condition{{Type: "BackportTracked", Status: metav1.ConditionFalse, Reason: "SkippedInGit",
		Message: `Git marks the object driftgate.io/skip: "true": the audit does not decide this edit; close it by decision`}}
	byAlice := reverted(t, edit(t, "e5", grantName, "INC-1", "2026-11-21T10:08:00Z", "Deployment", "web", change{"spec.replicas", 2, 5}), "2026-11-21T10:09:30Z")
	byAlice.Status.RevertedBy = &v1alpha1.Reverter{User: "alice", Edit: "e6", FieldManager: "kubectl-scale", Time: ptrTo(at(t, "2026-11-21T10:09:00Z"))}
	tests := []struct {
		name   string
		grants []v1alpha1.BreakGlassGrant
		edits  []v1alpha1.BreakGlassEdit
		want   Verdict
		// wantSummary and wantReason check only those, where want is left out.
		wantSummary, wantReason string
		wantNote                string
		wantErr                 string
		approvers               string
		grantFound              bool
	}{
		{name: "all resolved", grants: []v1alpha1.BreakGlassGrant{g}, edits: resolved, approvers: "bob", grantFound: true,
			want: Verdict{Ready: true, Summary: SummaryReady, Reason: "all 2 edits are backported to Git or reverted", OpenItems: []OpenItem{}, Undone: []UndoneItem{}}},
		{name: "one required", grants: []v1alpha1.BreakGlassGrant{g}, edits: append(resolved[:2:2], open), approvers: "bob", grantFound: true,
			want: Verdict{Summary: SummaryNotReady, Reason: "1 of 3 edits still need a backport to Git or a live revert", OpenItems: []OpenItem{{
				Edit: "e3", Time: at(t, "2026-11-21T10:07:00Z").Time, User: "alice", Operation: "UPDATE",
				Object: Object{APIVersion: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "prod", Name: "cfg"},
				Paths:  []string{"data.B"}, File: "cfg.yaml", GitSource: "apps",
				Backport: "open a PR changing data.B in cfg.yaml (GitSource apps)",
				Revert:   "revert it live: kubectl -n prod edit configmaps/cfg and remove data.B (a person's write needs an active grant; a GitOps sync of the object does the same)",
			}}, Undone: []UndoneItem{}}},
		{name: "undone by Flux", grants: []v1alpha1.BreakGlassGrant{g}, edits: []v1alpha1.BreakGlassEdit{resolved[0], undone}, approvers: "bob", grantFound: true,
			want: Verdict{Summary: SummaryReview, Reason: "1 edit was undone by the GitOps controller, not by a person: confirm going back to Git is intended, or backport the fix",
				OpenItems: []OpenItem{}, Undone: []UndoneItem{{
					Edit: "e4", Time: at(t, "2026-11-21T10:08:00Z").Time, User: "alice",
					Object: Object{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: "prod", Name: "web"},
					Paths:  []string{"spec.replicas"}, By: "kustomize-controller", At: ptrTo(at(t, "2026-11-21T10:09:00Z").Time),
					Do: "kustomize-controller put Git's values back over alice's fix. If the fix is still needed, backport it to Git (web.yaml) and let the controller apply it; otherwise confirm going back to Git is intended before closing",
				}}}},
		{name: "undone by Flux and one required", grants: []v1alpha1.BreakGlassGrant{g}, edits: []v1alpha1.BreakGlassEdit{undone, open}, approvers: "bob", grantFound: true,
			wantSummary: SummaryNotReady, wantReason: "1 of 2 edits still need a backport to Git or a live revert, and 1 edit was undone by the GitOps controller, not by a person"},
		{name: "skipped in Git: closed by decision", grants: []v1alpha1.BreakGlassGrant{g}, edits: []v1alpha1.BreakGlassEdit{resolved[0], skipped}, approvers: "bob", grantFound: true,
			wantSummary: SummaryReview, wantReason: "1 edit is of an object Git marks driftgate.io/skip, which the audit does not decide: confirm each fix is handled (backported or reverted by hand), then close"},
		{name: "skipped in Git and one required", grants: []v1alpha1.BreakGlassGrant{g}, edits: []v1alpha1.BreakGlassEdit{skipped, open}, approvers: "bob", grantFound: true,
			wantSummary: SummaryNotReady, wantReason: "2 of 2 edits still need a backport to Git or a live revert"},
		{name: "reverted by a person is a clean closure", grants: []v1alpha1.BreakGlassGrant{g}, edits: []v1alpha1.BreakGlassEdit{byAlice}, approvers: "bob", grantFound: true,
			want: Verdict{Ready: true, Summary: SummaryReady, Reason: "the only edit is backported to Git or reverted", OpenItems: []OpenItem{}, Undone: []UndoneItem{}}},
		{name: "grant without edits", grants: []v1alpha1.BreakGlassGrant{g}, approvers: "bob",
			want: Verdict{Ready: true, Summary: SummaryReady, Reason: "no writes were recorded under this ticket", OpenItems: []OpenItem{}, Undone: []UndoneItem{}}},
		{name: "unapproved grant", grants: []v1alpha1.BreakGlassGrant{grant(t, grantName, "INC-1")}, edits: resolved[:1], approvers: "unapproved", grantFound: true,
			want: Verdict{Ready: true, Summary: SummaryReady, Reason: "the only edit is backported to Git or reverted", OpenItems: []OpenItem{}, Undone: []UndoneItem{}}},
		{name: "edit whose grant is gone", edits: resolved[:1],
			want:     Verdict{Ready: true, Summary: SummaryReady, Reason: "the only edit is backported to Git or reverted", OpenItems: []OpenItem{}, Undone: []UndoneItem{}},
			wantNote: "edit e1 was made under grant " + grantName + ", which no longer exists"},
		{name: "no grants and no edits", grants: []v1alpha1.BreakGlassGrant{grant(t, "other", "INC-2")},
			wantErr: "no break-glass grants or edits for ticket INC-1; check the ticket ID (driftgate breakglass list shows the grants and their tickets)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Build(Input{Ticket: "INC-1", Now: at(t, "2026-11-21T12:00:00Z").Time, Grants: tt.grants, Edits: tt.edits})
			if tt.wantErr != "" {
				var nf *NotFoundError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &nf) {
					t.Fatalf("err = %v, want a NotFoundError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantSummary != "" {
				if r.Verdict.Summary != tt.wantSummary || r.Verdict.Reason != tt.wantReason || r.Verdict.Ready {
					t.Errorf("verdict %s: %s (ready %v), want %s: %s", r.Verdict.Summary, r.Verdict.Reason, r.Verdict.Ready, tt.wantSummary, tt.wantReason)
				}
			} else if diff := cmp.Diff(tt.want, r.Verdict); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if tt.approvers != "" {
				names := []string{}
				for _, a := range r.Grants[0].Approvals {
					names = append(names, a.User)
				}
				if got := strings.Join(names, ", "); got != tt.approvers && (got != "" || tt.approvers != "unapproved") {
					t.Errorf("approvers = %q, want %q", got, tt.approvers)
				}
			}
			for _, e := range r.Edits {
				if e.GrantFound != tt.grantFound {
					t.Errorf("edit %s grantFound = %v, want %v", e.Name, e.GrantFound, tt.grantFound)
				}
			}
			if tt.wantNote != "" && !contains(r.Notes, tt.wantNote) {
				t.Errorf("notes %q lack %q", r.Notes, tt.wantNote)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestGrantEnd covers how each grant reads: ended, still active, pending, and the webhook's view
// of a grant the controller has not caught up with.
func TestGrantEnd(t *testing.T) {
	now := at(t, "2026-11-21T10:30:00Z").Time
	mod := func(f func(*v1alpha1.BreakGlassGrant)) v1alpha1.BreakGlassGrant {
		g := grant(t, "g", "INC-1", "bob")
		f(&g)
		return g
	}
	tests := []struct {
		name  string
		grant v1alpha1.BreakGlassGrant
		want  string
	}{
		{"expired", mod(func(*v1alpha1.BreakGlassGrant) {}), "expired at 2026-11-21T11:02:01Z"},
		{"revoked", mod(func(g *v1alpha1.BreakGlassGrant) {
			g.Status.Phase = v1alpha1.GrantRevoked
			g.Spec.Revocation = &v1alpha1.Revocation{User: "bob", Time: at(t, "2026-11-21T10:20:00Z"), Reason: "fixed"}
		}), "revoked by bob at 2026-11-21T10:20:00Z (fixed)"},
		{"denied", mod(func(g *v1alpha1.BreakGlassGrant) {
			g.Status = v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantDenied}
			g.Spec.Denial = &v1alpha1.Denial{User: "bob", Time: at(t, "2026-11-21T10:01:00Z"), Reason: "use Git"}
		}), "denied by bob at 2026-11-21T10:01:00Z (use Git)"},
		{"timed out", mod(func(g *v1alpha1.BreakGlassGrant) {
			g.Status = v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantDenied}
		}), "denied (not approved in time)"},
		{"active", mod(func(g *v1alpha1.BreakGlassGrant) { g.Status.Phase = v1alpha1.GrantActive }), "still active until 2026-11-21T11:02:01Z"},
		{"active past expiry", mod(func(g *v1alpha1.BreakGlassGrant) {
			g.Status.Phase, g.Status.ExpiresAt = v1alpha1.GrantActive, atp(t, "2026-11-21T10:15:00Z")
		}), "expired at 2026-11-21T10:15:00Z"},
		{"pending", mod(func(g *v1alpha1.BreakGlassGrant) { g.Status = v1alpha1.BreakGlassGrantStatus{} }), "pending approval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := endOf(&tt.grant, now).Text; got != tt.want {
				t.Errorf("end = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestActiveGrantIsANote: a grant still active is said, but the verdict follows the edits.
func TestActiveGrantIsANote(t *testing.T) {
	g := grant(t, "g", "INC-1", "bob")
	g.Status.Phase = v1alpha1.GrantActive
	r, err := Build(Input{Ticket: "INC-1", Now: at(t, "2026-11-21T10:30:00Z").Time, Grants: []v1alpha1.BreakGlassGrant{g}})
	if err != nil {
		t.Fatal(err)
	}
	want := "grant g is still active until 2026-11-21T11:02:01Z: writes under it may still come; end it (driftgate breakglass revoke g) when the work is done"
	if !r.Verdict.Ready || !contains(r.Notes, want) {
		t.Errorf("ready = %v, notes %q; want ready and %q", r.Verdict.Ready, r.Notes, want)
	}
}

// TestWindow: --since/--until keep the edits made and the grants alive in the window.
func TestWindow(t *testing.T) {
	in := fixture(t)
	in.Since = at(t, "2026-11-21T10:08:00Z").Time
	in.Until = at(t, "2026-11-21T10:25:00Z").Time
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range r.Edits {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{grantName + "-req2", grantName + "-req3"}, names); diff != "" {
		t.Errorf("edits in the window (-want +got):\n%s", diff)
	}
	if len(r.Grants) != 1 {
		t.Errorf("grants = %d, want the one alive in the window", len(r.Grants))
	}
	in.Since, in.Until = at(t, "2026-11-22T00:00:00Z").Time, time.Time{}
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "--since/--until window") {
		t.Errorf("err = %v, want none in the window", err)
	}
}

// TestBuildOpen: one report per ticket with a Required edit, warn-mode writes under "(none)".
func TestBuildOpen(t *testing.T) {
	in := fixture(t)
	in.Edits = append(in.Edits,
		edit(t, "unauthorized-1", "", "", "2026-11-21T09:00:00Z", "ConfigMap", "cfg", change{"data.A", "1", "2"}),
		backported(t, edit(t, "e-closed", "g-closed", "INC-0", "2026-11-21T09:00:00Z", "ConfigMap", "cfg"), "abc", "2026-11-21T09:30:00Z"))
	var tickets []string
	for _, r := range BuildOpen(in) {
		tickets = append(tickets, r.Ticket)
	}
	if diff := cmp.Diff([]string{NoTicket, "INC-4242", "INC-9"}, tickets); diff != "" {
		t.Errorf("open tickets (-want +got):\n%s", diff)
	}
	none, err := Build(Input{Ticket: NoTicket, Now: in.Now, Edits: in.Edits})
	if err != nil {
		t.Fatal(err)
	}
	if !contains(none.Notes, "1 edit(s) were let through by warn mode without a grant") || len(none.Grants) != 0 {
		t.Errorf("(none) report: notes %q, %d grants", none.Notes, len(none.Grants))
	}
}

// TestOtherDriftUnknown: without readable Git sources the report still works and says so.
func TestOtherDriftUnknown(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Input)
		want   string
	}{
		{"forbidden", func(in *Input) { in.Sources, in.SourcesUnavailable = nil, "listing GitSources is forbidden" }, "listing GitSources is forbidden"},
		{"no sources", func(in *Input) { in.Sources = nil }, "no GitSource audits this cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture(t)
			tt.mutate(&in)
			r, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			want := OtherDrift{Note: tt.want, Objects: []DriftedItem{}}
			if diff := cmp.Diff(want, r.OtherDrift); diff != "" {
				t.Errorf("other drift (-want +got):\n%s", diff)
			}
			if !contains(r.Notes, "other drift on the edited objects is unknown: "+tt.want) {
				t.Errorf("notes %q do not say other drift is unknown", r.Notes)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	now := at(t, "2026-11-21T12:00:00Z").Time
	tests := []struct {
		in, want, err string
	}{
		{"2026-11-20T08:00:00Z", "2026-11-20T08:00:00Z", ""},
		{"2026-11-20T10:00:00+02:00", "2026-11-20T08:00:00Z", ""},
		{"168h", "2026-11-14T12:00:00Z", ""},
		{"90m", "2026-11-21T10:30:00Z", ""},
		{"yesterday", "", `"yesterday" is neither an RFC3339 time`},
		{"-1h", "", "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || stamp(got) != tt.want {
				t.Errorf("ParseTime(%q) = %s, %v; want %s", tt.in, stamp(got), err, tt.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
