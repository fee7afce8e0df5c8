package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// grantOf is the report's view of a grant at now.
func grantOf(g *v1alpha1.BreakGlassGrant, now time.Time) Grant {
	out := Grant{
		Name:        g.Name,
		Requester:   g.Spec.Requester,
		Reason:      g.Spec.Reason,
		Scope:       scopeOf(g.Spec.Scope),
		Duration:    shortDuration(g.Spec.Duration.Duration),
		Phase:       phaseOf(g),
		RequestedAt: optional(g.CreationTimestamp.Time),
		Approvals:   approvalsOf(g),
		ActivatedAt: utcPtr(g.Status.ActivatedAt),
		ExpiresAt:   utcPtr(g.Status.ExpiresAt),
		End:         endOf(g, now),
	}
	return out
}

func phaseOf(g *v1alpha1.BreakGlassGrant) string {
	if g.Status.Phase == "" {
		return string(v1alpha1.GrantPending)
	}
	return string(g.Status.Phase)
}

func scopeOf(s v1alpha1.GrantScope) Scope {
	ns, res := slices.Clone(s.Namespaces), slices.Clone(s.Resources)
	slices.Sort(ns)
	slices.Sort(res)
	return Scope{Namespaces: nonNil(ns), Resources: nonNil(res)}
}

// approvalsOf lists the approvals oldest first.
func approvalsOf(g *v1alpha1.BreakGlassGrant) []Approval {
	out := make([]Approval, 0, len(g.Spec.Approvals))
	for _, a := range g.Spec.Approvals {
		out = append(out, Approval{User: a.User, Time: utc(a.Time.Time), Comment: a.Comment})
	}
	slices.SortStableFunc(out, func(a, b Approval) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.User, b.User)
	})
	return out
}

// Window is "activatedAt → expiresAt", or "never active".
func (g Grant) Window() string {
	if g.ActivatedAt == nil {
		return "never active"
	}
	if g.ExpiresAt == nil {
		return stamp(*g.ActivatedAt) + " → ?"
	}
	return stamp(*g.ActivatedAt) + " → " + stamp(*g.ExpiresAt)
}

// endOf is how the grant ended at now. A revocation or an expiry counts even before the
// controller has moved the phase, as the webhook counts them.
func endOf(g *v1alpha1.BreakGlassGrant, now time.Time) GrantEnd {
	switch {
	case g.Spec.Revocation != nil:
		r := g.Spec.Revocation
		return ended(EndRevoked, utcPtr(&r.Time), r.User, r.Reason)
	case g.Spec.Denial != nil:
		d := g.Spec.Denial
		return ended(EndDenied, utcPtr(&d.Time), d.User, d.Reason)
	case g.Status.Phase == v1alpha1.GrantDenied:
		return ended(EndDenied, deniedAt(g), "", "not approved in time")
	case g.Status.Phase == v1alpha1.GrantExpired, g.Status.Phase == v1alpha1.GrantActive && !g.ActiveAt(now):
		return ended(EndExpired, utcPtr(g.Status.ExpiresAt), "", "")
	case g.Status.Phase == v1alpha1.GrantActive:
		at := utcPtr(g.Status.ExpiresAt)
		return GrantEnd{State: EndActive, Time: at, Text: "still active until " + stampOrUnknown(at)}
	}
	return GrantEnd{State: EndPending, Text: "pending approval"}
}

// ended describes a grant that ended in state at t, by whom and why where known.
func ended(state string, t *time.Time, by, reason string) GrantEnd {
	text := state
	if by != "" {
		text += " by " + by
	}
	if t != nil {
		text += " at " + stamp(*t)
	}
	if reason != "" {
		text += fmt.Sprintf(" (%s)", reason)
	}
	return GrantEnd{State: state, Time: t, By: by, Reason: reason, Text: text}
}

// deniedAt is when the controller denied a grant that timed out: its Active condition's last
// transition, when there is one.
func deniedAt(g *v1alpha1.BreakGlassGrant) *time.Time {
	for _, c := range g.Status.Conditions {
		if c.Type == v1alpha1.ConditionActive {
			return utcPtr(&c.LastTransitionTime)
		}
	}
	return nil
}

func stampOrUnknown(t *time.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return stamp(*t)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
