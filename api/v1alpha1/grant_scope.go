package v1alpha1

import (
	"slices"
	"time"
)

// ActiveAt reports whether the grant allows anything at now: phase Active, not revoked and not
// yet expired. Expiry and revocation are checked here, not left to the controller, so a grant
// nobody has moved to Expired or Revoked yet allows nothing once its time is up or it is revoked.
func (g *BreakGlassGrant) ActiveAt(now time.Time) bool {
	return g.Status.Phase == GrantActive && g.Spec.Revocation == nil &&
		g.Status.ExpiresAt != nil && now.Before(g.Status.ExpiresAt.Time)
}

// Covers reports whether the grant, at now, lets user write resource ("deployments.apps") in
// namespace.
func (g *BreakGlassGrant) Covers(user, namespace, resource string, now time.Time) bool {
	return g.Spec.Requester == user && g.ActiveAt(now) &&
		slices.Contains(g.Spec.Scope.Namespaces, namespace) &&
		slices.Contains(g.Spec.Scope.Resources, resource)
}
