package breakglass_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/config"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { return &metav1.Time{Time: t0.Add(d)} }

func grant(mutate func(*v1alpha1.BreakGlassGrant)) *v1alpha1.BreakGlassGrant {
	g := &v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "inc-1-alice", CreationTimestamp: metav1.Time{Time: t0}},
		Spec: v1alpha1.BreakGlassGrantSpec{
			Requester: "alice", Reason: "r", Ticket: "INC-1", Duration: metav1.Duration{Duration: time.Hour},
			Scope: v1alpha1.GrantScope{Namespaces: []string{"prod"}, Resources: []string{"deployments.apps"}},
		},
	}
	if mutate != nil {
		mutate(g)
	}
	return g
}

func approved(by ...string) func(*v1alpha1.BreakGlassGrant) {
	return func(g *v1alpha1.BreakGlassGrant) {
		for _, u := range by {
			g.Spec.Approvals = append(g.Spec.Approvals, v1alpha1.Approval{User: u, Time: metav1.Time{Time: t0}})
		}
	}
}

func activeUntil(d time.Duration) func(*v1alpha1.BreakGlassGrant) {
	return func(g *v1alpha1.BreakGlassGrant) {
		approved("bob")(g)
		g.Status.Phase, g.Status.ActivatedAt, g.Status.ExpiresAt = v1alpha1.GrantActive, at(0), at(d)
	}
}

func TestNext(t *testing.T) {
	cfg := config.Default().BreakGlass
	tests := []struct {
		name     string
		grant    *v1alpha1.BreakGlassGrant
		required int
		now      time.Duration
		want     breakglass.Step
	}{
		{"new grant waits", grant(nil), 1, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantPending, Reason: breakglass.ReasonAwaitingApproval, Message: "0 of 1 approvals", RequeueAfter: 59 * time.Minute}},
		{"self-approval does not count", grant(approved("alice")), 1, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantPending, Reason: breakglass.ReasonAwaitingApproval, Message: "0 of 1 approvals", RequeueAfter: 59 * time.Minute}},
		{"approved activates", grant(approved("bob")), 1, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantActive, Reason: breakglass.ReasonApproved, Message: "approved by 1 of 1 required approvers",
				ActivatedAt: at(time.Minute), ExpiresAt: at(61 * time.Minute), RequeueAfter: time.Hour}},
		{"two required, one given", grant(approved("bob", "bob")), 2, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantPending, Reason: breakglass.ReasonAwaitingApproval, Message: "1 of 2 approvals", RequeueAfter: 59 * time.Minute}},
		{"no approval required", grant(nil), 0, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantActive, Reason: breakglass.ReasonUnapproved, Message: "no approval required: activated without approval",
				ActivatedAt: at(time.Minute), ExpiresAt: at(61 * time.Minute), RequeueAfter: time.Hour}},
		{"late approval does not activate", grant(func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Approvals = []v1alpha1.Approval{{User: "bob", Time: *at(time.Hour + time.Second)}}
		}), 1, 2 * time.Hour,
			breakglass.Step{Phase: v1alpha1.GrantDenied, Reason: breakglass.ReasonPendingTimeout, Message: "not approved within 1h0m0s"}},
		{"pending timeout", grant(nil), 1, time.Hour,
			breakglass.Step{Phase: v1alpha1.GrantDenied, Reason: breakglass.ReasonPendingTimeout, Message: "not approved within 1h0m0s"}},
		{"denied", grant(func(g *v1alpha1.BreakGlassGrant) { g.Spec.Denial = &v1alpha1.Denial{User: "bob", Reason: "use Git"} }), 1, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantDenied, Reason: breakglass.ReasonDenied, Message: "denied by bob: use Git"}},
		{"active until expiry", grant(activeUntil(time.Hour)), 1, 30 * time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantActive, Reason: "Active", ActivatedAt: at(0), ExpiresAt: at(time.Hour), RequeueAfter: 30 * time.Minute}},
		{"expired exactly at expiresAt", grant(activeUntil(time.Hour)), 1, time.Hour,
			breakglass.Step{Phase: v1alpha1.GrantExpired, Reason: breakglass.ReasonExpired, Message: "the grant's time is up", ActivatedAt: at(0), ExpiresAt: at(time.Hour)}},
		{"revoked", grant(func(g *v1alpha1.BreakGlassGrant) {
			activeUntil(time.Hour)(g)
			g.Spec.Revocation = &v1alpha1.Revocation{User: "alice", Time: metav1.Time{Time: t0}}
		}), 1, time.Minute,
			breakglass.Step{Phase: v1alpha1.GrantRevoked, Reason: breakglass.ReasonRevoked, Message: "revoked by alice at 2026-11-21T10:00:00Z", ActivatedAt: at(0), ExpiresAt: at(time.Hour)}},
		{"terminal stays", grant(func(g *v1alpha1.BreakGlassGrant) {
			g.Status.Phase = v1alpha1.GrantExpired
			approved("bob")(g)
		}), 1, time.Minute, breakglass.Step{Phase: v1alpha1.GrantExpired, Reason: "Expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.ApprovalsRequired = tt.required
			got := breakglass.Next(tt.grant, c, t0.Add(tt.now))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Next (-want +got):\n%s", diff)
			}
		})
	}
}
