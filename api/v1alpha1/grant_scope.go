package v1alpha1

import (
	"slices"
	"time"
)

// ActiveAt reports whether the grant allows anything at now: phase Active and not yet expired.
// The expiry is checked against the caller's clock, so a grant nobody has moved to Expired yet
// still allows nothing once its time is up.
func (g *BreakGlassGrant) ActiveAt(now time.Time) bool {
	return g.Status.Phase == GrantActive && g.Status.ExpiresAt != nil && now.Before(g.Status.ExpiresAt.Time)
}

// Covers reports whether the grant, at now, lets user write resource ("deployments.apps") in
// namespace.
func (g *BreakGlassGrant) Covers(user, namespace, resource string, now time.Time) bool {
	return g.Spec.Requester == user && g.ActiveAt(now) &&
		slices.Contains(g.Spec.Scope.Namespaces, namespace) &&
		slices.Contains(g.Spec.Scope.Resources, resource)
}
