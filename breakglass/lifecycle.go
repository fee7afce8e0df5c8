package breakglass

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// Condition reasons of the Active condition.
const (
	ReasonAwaitingApproval = "AwaitingApproval"
	ReasonApproved         = "Approved"
	ReasonUnapproved       = "ActivatedWithoutApproval"
	ReasonExpired          = "Expired"
	ReasonRevoked          = "Revoked"
	ReasonDenied           = "Denied"
	ReasonPendingTimeout   = "PendingTimeout"
)

// Step is where a grant should be at a moment, and when to look at it again.
type Step struct {
	Phase       v1alpha1.GrantPhase
	Reason      string
	Message     string
	ActivatedAt *metav1.Time
	ExpiresAt   *metav1.Time
	// RequeueAfter is when the grant next changes by the clock alone; 0 for never.
	RequeueAfter time.Duration
}

// Next is the lifecycle: Pending → Active once approvals suffice → Expired at expiresAt, or
// Revoked; Pending → Denied by an approver or after the pending timeout. Terminal phases stay.
func Next(g *v1alpha1.BreakGlassGrant, cfg config.BreakGlass, now time.Time) Step {
	st := g.Status
	phase := phaseOf(g)
	switch {
	case phase.Terminal():
		return Step{Phase: phase, Reason: reasonOf(g), Message: messageOf(g), ActivatedAt: st.ActivatedAt, ExpiresAt: st.ExpiresAt}
	case g.Spec.Revocation != nil:
		r := g.Spec.Revocation
		return Step{Phase: v1alpha1.GrantRevoked, Reason: ReasonRevoked, ActivatedAt: st.ActivatedAt, ExpiresAt: st.ExpiresAt,
			Message: fmt.Sprintf("revoked by %s at %s", r.User, r.Time.UTC().Format(time.RFC3339))}
	case phase == v1alpha1.GrantActive:
		return active(g, now)
	case g.Spec.Denial != nil:
		d := g.Spec.Denial
		return Step{Phase: v1alpha1.GrantDenied, Reason: ReasonDenied, Message: fmt.Sprintf("denied by %s: %s", d.User, d.Reason)}
	}
	deadline := g.CreationTimestamp.Add(cfg.PendingTimeout.Duration)
	if approversBefore(g, deadline) >= cfg.ApprovalsRequired {
		return activate(g, cfg, now)
	}
	if !now.Before(deadline) {
		return Step{Phase: v1alpha1.GrantDenied, Reason: ReasonPendingTimeout,
			Message: fmt.Sprintf("not approved within %s", cfg.PendingTimeout.Duration)}
	}
	return Step{Phase: v1alpha1.GrantPending, Reason: ReasonAwaitingApproval, RequeueAfter: deadline.Sub(now),
		Message: fmt.Sprintf("%d of %d approvals", Approvers(g), cfg.ApprovalsRequired)}
}

func active(g *v1alpha1.BreakGlassGrant, now time.Time) Step {
	st := g.Status
	if st.ExpiresAt == nil || !now.Before(st.ExpiresAt.Time) {
		return Step{Phase: v1alpha1.GrantExpired, Reason: ReasonExpired, ActivatedAt: st.ActivatedAt, ExpiresAt: st.ExpiresAt,
			Message: "the grant's time is up"}
	}
	return Step{Phase: v1alpha1.GrantActive, Reason: reasonOf(g), Message: messageOf(g),
		ActivatedAt: st.ActivatedAt, ExpiresAt: st.ExpiresAt, RequeueAfter: st.ExpiresAt.Sub(now)}
}

func activate(g *v1alpha1.BreakGlassGrant, cfg config.BreakGlass, now time.Time) Step {
	start := metav1.NewTime(now.UTC().Truncate(time.Second))
	end := metav1.NewTime(start.Add(g.Spec.Duration.Duration))
	reason, msg := ReasonApproved, fmt.Sprintf("approved by %d of %d required approvers", Approvers(g), cfg.ApprovalsRequired)
	if cfg.ApprovalsRequired == 0 {
		reason, msg = ReasonUnapproved, "no approval required: activated without approval"
	}
	return Step{Phase: v1alpha1.GrantActive, Reason: reason, Message: msg, ActivatedAt: &start, ExpiresAt: &end,
		RequeueAfter: end.Sub(now)}
}

// Approvers counts the distinct approvers other than the requester (the webhook refuses the
// rest; the count does not trust it).
func Approvers(g *v1alpha1.BreakGlassGrant) int {
	return approversBefore(g, time.Time{})
}

// approversBefore counts the approvals given before deadline (zero: any time); the webhook
// stamps approvals near its own clock, so a late one cannot activate a timed-out grant.
func approversBefore(g *v1alpha1.BreakGlassGrant, deadline time.Time) int {
	seen := map[string]bool{}
	for _, a := range g.Spec.Approvals {
		if a.User != "" && a.User != g.Spec.Requester && (deadline.IsZero() || a.Time.Before(&metav1.Time{Time: deadline})) {
			seen[a.User] = true
		}
	}
	return len(seen)
}

func reasonOf(g *v1alpha1.BreakGlassGrant) string {
	for _, c := range g.Status.Conditions {
		if c.Type == v1alpha1.ConditionActive {
			return c.Reason
		}
	}
	return string(phaseOf(g))
}

func messageOf(g *v1alpha1.BreakGlassGrant) string {
	for _, c := range g.Status.Conditions {
		if c.Type == v1alpha1.ConditionActive {
			return c.Message
		}
	}
	return ""
}
