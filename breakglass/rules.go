package breakglass

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// Writer is the authenticated identity of a request, as the API server reports it.
type Writer struct {
	User   string
	Groups []string
	// Credential is the kind of credential the request was authenticated with ("JTI",
	// "X509SHA256"); empty for an impersonated name.
	Credential string
}

// Rules checks writes to grants and edit records. Only driftgate itself writes status and
// records; people request, approve, deny and revoke grants under the rules below.
type Rules struct {
	Config config.BreakGlass
	// Self is driftgate's own user name.
	Self string
	// System and SystemPrefixes name the system controllers (identities.system, systemPrefixes),
	// among them the garbage collector, which removes the finalizers of a grant being deleted.
	System, SystemPrefixes []string
	// WithoutCredential are the names that count as the identity they name without a credential
	// id (config.IdentitiesWithoutCredential); any other name counts only with one.
	WithoutCredential []string
	// Exempt reports namespaces driftgate never intercepts; no grant may cover them.
	Exempt func(namespace string) bool
	// Clock is the webhook's clock: approvals, denials and revocations are stamped near it, and
	// no approval is taken once the pending timeout has passed.
	Clock clock.PassiveClock
	// IdentityNamespaces are where GitOps or driftgate service accounts live: refused unless
	// Config.IdentityNamespacesAllowed names them.
	IdentityNamespaces []string
	// KnownResource, when set, reports why a scope's resource does not exist in the cluster
	// ("deployments" without its group), nil when it does.
	KnownResource func(group, resource string) error

	ticket *regexp.Regexp
}

// NewRules builds Rules from a validated configuration.
func NewRules(cfg *config.Config) (*Rules, error) {
	r := &Rules{Config: cfg.BreakGlass, Self: cfg.SelfIdentity(), Exempt: cfg.Exempt, Clock: clock.RealClock{},
		System:             cfg.Identities.System,
		SystemPrefixes:     cfg.Identities.SystemPrefixes,
		WithoutCredential:  cfg.IdentitiesWithoutCredential(),
		IdentityNamespaces: cfg.IdentityNamespaces()}
	if cfg.BreakGlass.TicketPattern != "" {
		re, err := regexp.Compile(cfg.BreakGlass.TicketPattern)
		if err != nil {
			return nil, fmt.Errorf("breakGlass.ticketPattern: %w", err)
		}
		r.ticket = re
	}
	return r, nil
}

// MaxClockSkew is how far the time of an approval, denial or revocation may be from the
// webhook's clock.
const MaxClockSkew = 5 * time.Minute

// Operation is an admission operation.
type Operation string

// The operations the webhook sees.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// CheckGrant reports why w may not make this write to a grant; nil allows it. old is nil on
// CREATE, obj is nil on DELETE.
func (r *Rules) CheckGrant(op Operation, subresource string, w Writer, old, obj *v1alpha1.BreakGlassGrant) error {
	if r.isSelf(w) {
		return nil
	}
	if subresource != "" {
		return fmt.Errorf("only driftgate writes the %s of a break-glass grant", subresource)
	}
	switch op {
	case Create:
		return r.checkRequest(w, obj)
	case Update:
		return r.checkUpdate(w, old, obj)
	case Delete:
		if old.Status.Phase.Terminal() || r.isMember(w, r.Config.AdminGroups) {
			return nil
		}
		return fmt.Errorf("grant %s is %s: revoke it (driftgate breakglass revoke %s) before deleting it", old.Name, phaseOf(old), old.Name)
	}
	return fmt.Errorf("operation %s on a break-glass grant is not supported", op)
}

// CheckEdit reports why w may not make this write to an edit record. Records are written only
// by driftgate; a resolved one (Backported or Reverted) may be deleted.
func (r *Rules) CheckEdit(op Operation, w Writer, old *v1alpha1.BreakGlassEdit) error {
	if r.isSelf(w) {
		return nil
	}
	if op == Delete && old != nil && (old.Status.Backport == v1alpha1.Backported || old.Status.Backport == v1alpha1.Reverted ||
		old.Status.Backport == v1alpha1.NotApplied) {
		return nil
	}
	if op == Delete && r.isMember(w, r.Config.AdminGroups) {
		return nil
	}
	return errors.New("break-glass edit records are written only by driftgate, and deleted only once Backported, Reverted or NotApplied")
}

func (r *Rules) checkRequest(w Writer, g *v1alpha1.BreakGlassGrant) error {
	s := &g.Spec
	switch {
	case s.Requester != w.User:
		return fmt.Errorf("spec.requester %q: a grant is requested by its requester, and you are %q", s.Requester, w.User)
	case strings.TrimSpace(s.Reason) == "":
		return errors.New("spec.reason is required: say why the write cannot go through Git")
	case strings.TrimSpace(s.Ticket) == "":
		return errors.New("spec.ticket is required: name the incident")
	case r.ticket != nil && !r.ticket.MatchString(s.Ticket):
		return fmt.Errorf("spec.ticket %q does not match the required pattern %s", s.Ticket, r.ticket)
	case s.Duration.Duration <= 0 || s.Duration.Duration > r.Config.MaxDuration.Duration:
		return fmt.Errorf("spec.duration %s: must be more than 0 and at most %s", s.Duration.Duration, r.Config.MaxDuration.Duration)
	case len(s.Approvals) > 0 || s.Denial != nil || s.Revocation != nil:
		return errors.New("a new grant carries no approvals, denial or revocation: approvers add theirs later")
	case len(g.Finalizers) > 0 || len(g.OwnerReferences) > 0:
		return errors.New("a new grant carries no finalizers or owner references: they are driftgate's")
	}
	return r.checkScope(s.Scope)
}

func (r *Rules) checkScope(s v1alpha1.GrantScope) error {
	if len(s.Namespaces) == 0 || len(s.Resources) == 0 {
		return errors.New("spec.scope needs at least one namespace and one resource")
	}
	for _, ns := range s.Namespaces {
		switch {
		case len(validation.IsDNS1123Label(ns)) > 0:
			return fmt.Errorf("spec.scope.namespaces: %q is not a namespace name (grants name each namespace; there are no wildcards)", ns)
		case r.Exempt(ns):
			return fmt.Errorf("spec.scope.namespaces: %q cannot be covered by break-glass", ns)
		case slices.Contains(r.IdentityNamespaces, ns) && !slices.Contains(r.Config.IdentityNamespacesAllowed, ns):
			return fmt.Errorf("spec.scope.namespaces: %q holds a GitOps or driftgate service account, and break-glass there would reach its credentials: not covered unless breakGlass.identityNamespacesAllowed names it", ns)
		case len(r.Config.Namespaces) > 0 && !slices.Contains(r.Config.Namespaces, ns):
			return fmt.Errorf("spec.scope.namespaces: %q is not one of the namespaces break-glass may cover (%s)", ns, strings.Join(r.Config.Namespaces, ", "))
		}
	}
	for _, res := range s.Resources {
		switch {
		case res == "" || strings.ContainsAny(res, " /*") || res != strings.ToLower(res):
			return fmt.Errorf("spec.scope.resources: %q is not a resource.group such as deployments.apps or configmaps", res)
		case strings.HasSuffix(res, "."+v1alpha1.GroupVersion.Group):
			return fmt.Errorf("spec.scope.resources: %q is driftgate's own and cannot be covered by break-glass", res)
		case slices.Contains(forbiddenGroups, groupOf(res)):
			return fmt.Errorf("spec.scope.resources: %q makes RBAC or identities, which break-glass never hands over", res)
		case len(r.Config.Resources) > 0 && !slices.Contains(r.Config.Resources, res):
			return fmt.Errorf("spec.scope.resources: %q is not one of the resources break-glass may cover (%s)", res, strings.Join(r.Config.Resources, ", "))
		}
		if r.KnownResource != nil {
			if err := r.KnownResource(ParseResource(res)); err != nil {
				return fmt.Errorf("spec.scope.resources: %q: %w", res, err)
			}
		}
	}
	return nil
}

func groupOf(res string) string {
	g, _ := ParseResource(res)
	return g
}

func (r *Rules) isMember(w Writer, groups []string) bool {
	return slices.ContainsFunc(w.Groups, func(g string) bool { return slices.Contains(groups, g) })
}

func phaseOf(g *v1alpha1.BreakGlassGrant) v1alpha1.GrantPhase {
	if g.Status.Phase == "" {
		return v1alpha1.GrantPending
	}
	return g.Status.Phase
}

// isSelf reports whether w is driftgate itself: its name, authenticated as it.
func (r *Rules) isSelf(w Writer) bool { return w.User == r.Self && r.authenticatedAsNamed(w) }

// isSystem reports whether w is a system controller (the garbage collector among them): a system
// name, authenticated as it.
func (r *Rules) isSystem(w Writer) bool {
	named := slices.Contains(r.System, w.User) ||
		slices.ContainsFunc(r.SystemPrefixes, func(p string) bool { return strings.HasPrefix(w.User, p) })
	return named && r.authenticatedAsNamed(w)
}

// authenticatedAsNamed reports whether w's name counts as the identity it names: the request
// carries the credential id the API server sets for the identity's own credential (impersonation
// cannot), or the config accepts the name without one. The policy's authenticated_as_named.
func (r *Rules) authenticatedAsNamed(w Writer) bool {
	return w.Credential != "" || slices.Contains(r.WithoutCredential, w.User)
}
