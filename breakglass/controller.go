package breakglass

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// Controller moves grants through their lifecycle (see Next) and keeps their RBAC: while a
// grant is Active, each namespace of its scope has a Role with exactly what the grant names
// (GrantRules: the resources it names, with the verbs the configured ClusterRole allows on them)
// and a RoleBinding of the requester to it; in every other phase there are none. It never decides admission: the webhook
// checks a grant's phase and expiry itself, so a stopped controller never extends a grant.
type Controller struct {
	Client client.Client
	Config config.BreakGlass
	Clock  clock.PassiveClock
	Events events.EventRecorder
}

// SetupWithManager registers the controller; it also watches the Roles and RoleBindings it
// owns, so one deleted or changed by hand is put back while the grant is Active.
func (c *Controller) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("breakglassgrant").
		For(&v1alpha1.BreakGlassGrant{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Complete(c)
}

// Reconcile implements reconcile.Reconciler.
func (c *Controller) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var g v1alpha1.BreakGlassGrant
	if err := c.Client.Get(ctx, req.NamespacedName, &g); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	step := Next(&g, c.Config, c.Clock.Now())
	// RBAC first: bound before the grant reads Active, unbound before it reads anything else.
	if err := c.syncRBAC(ctx, &g, step.Phase == v1alpha1.GrantActive); err != nil {
		return requeueOnConflict(err)
	}
	if err := c.updateStatus(ctx, &g, step); err != nil {
		return requeueOnConflict(err)
	}
	return ctrl.Result{RequeueAfter: step.RequeueAfter}, nil
}

// ConflictRetry is how soon a grant is looked at again after a write lost an optimistic-lock
// conflict (the grant, or one of its Roles or RoleBindings, changed since it was read).
const ConflictRetry = time.Second

// requeueOnConflict returns err to controller-runtime, which logs it as a Reconciler error and
// retries with backoff; a conflict is no error, only a sign that the next look reads a newer
// object, so it is retried without one.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: ConflictRetry}, nil
	}
	return ctrl.Result{}, err
}

func (c *Controller) updateStatus(ctx context.Context, g *v1alpha1.BreakGlassGrant, step Step) error {
	before := g.DeepCopy()
	was := g.Status.Phase
	g.Status.Phase, g.Status.ActivatedAt, g.Status.ExpiresAt = step.Phase, step.ActivatedAt, step.ExpiresAt
	g.Status.ObservedGeneration = g.Generation
	cond := metav1.Condition{Type: v1alpha1.ConditionActive, Status: metav1.ConditionFalse,
		Reason: step.Reason, Message: step.Message, ObservedGeneration: g.Generation}
	if step.Phase == v1alpha1.GrantActive {
		cond.Status = metav1.ConditionTrue
	}
	apimeta.SetStatusCondition(&g.Status.Conditions, cond)
	if equalStatus(before, g) {
		return nil
	}
	if err := c.Client.Status().Patch(ctx, g, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating the status of grant %s: %w", g.Name, err)
	}
	if was != step.Phase {
		ctrl.LoggerFrom(ctx).Info("break-glass grant changed phase", logkeys.Grant, g.Name,
			logkeys.Ticket, g.Spec.Ticket, logkeys.User, g.Spec.Requester, logkeys.Phase, step.Phase, logkeys.Reason, step.Message)
		c.Events.Eventf(g, nil, eventType(step.Phase), step.Reason, "Transition", "%s: %s", step.Phase, step.Message)
	}
	return nil
}

func equalStatus(a, b *v1alpha1.BreakGlassGrant) bool {
	return equality.Semantic.DeepEqual(a.Status, b.Status)
}

func eventType(p v1alpha1.GrantPhase) string {
	if p == v1alpha1.GrantDenied {
		return corev1.EventTypeWarning
	}
	return corev1.EventTypeNormal
}

// RoleBindingName is the name of the Role and the RoleBinding an active grant has in each of its
// namespaces.
func RoleBindingName(grant string) string {
	return "driftgate-breakglass-" + grant
}

// syncRBAC makes the grant's Role and RoleBinding in each namespace of its scope when bound, and
// removes them otherwise: the binding first, so no moment binds more than the grant names.
func (c *Controller) syncRBAC(ctx context.Context, g *v1alpha1.BreakGlassGrant, bound bool) error {
	var rules []rbacv1.PolicyRule
	if bound {
		roleRules, err := c.clusterRoleRules(ctx)
		if err != nil {
			return err
		}
		rules = GrantRules(g.Spec.Scope, roleRules)
	}
	for _, ns := range g.Spec.Scope.Namespaces {
		meta := metav1.ObjectMeta{Name: RoleBindingName(g.Name), Namespace: ns}
		if !bound {
			for _, obj := range []client.Object{&rbacv1.RoleBinding{ObjectMeta: meta}, &rbacv1.Role{ObjectMeta: meta}} {
				if err := c.Client.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
					return fmt.Errorf("removing %T %s/%s of grant %s: %w", obj, ns, meta.Name, g.Name, err)
				}
			}
			continue
		}
		if err := c.bind(ctx, g, meta, rules); err != nil {
			return err
		}
	}
	return nil
}

// clusterRoleRules are the rules of the configured ClusterRole, with those of the ClusterRoles
// its aggregation rule selects (which the aggregation controller copies into it in time).
func (c *Controller) clusterRoleRules(ctx context.Context) ([]rbacv1.PolicyRule, error) {
	var role rbacv1.ClusterRole
	if err := c.Client.Get(ctx, client.ObjectKey{Name: c.Config.ClusterRole}, &role); err != nil {
		return nil, fmt.Errorf("reading ClusterRole %s (breakGlass.clusterRole): %w", c.Config.ClusterRole, err)
	}
	rules := role.Rules
	if role.AggregationRule == nil {
		return rules, nil
	}
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			return nil, fmt.Errorf("ClusterRole %s has an aggregation selector that does not parse: %w", role.Name, err)
		}
		var parts rbacv1.ClusterRoleList
		if err := c.Client.List(ctx, &parts, client.MatchingLabelsSelector{Selector: selector}); err != nil {
			return nil, fmt.Errorf("listing the ClusterRoles aggregated into %s: %w", role.Name, err)
		}
		for _, p := range parts.Items {
			rules = append(rules, p.Rules...)
		}
	}
	return rules, nil
}

// bind writes the grant's Role, then its RoleBinding, in one namespace.
func (c *Controller) bind(ctx context.Context, g *v1alpha1.BreakGlassGrant, meta metav1.ObjectMeta, rules []rbacv1.PolicyRule) error {
	labels := map[string]string{"app.kubernetes.io/managed-by": "driftgate"}
	role := &rbacv1.Role{ObjectMeta: meta}
	_, err := ctrl.CreateOrUpdate(ctx, c.Client, role, func() error {
		role.Labels, role.Rules = labels, rules
		return ctrl.SetControllerReference(g, role, c.Client.Scheme())
	})
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: meta.Name}
	if err == nil {
		err = c.dropOtherBinding(ctx, meta, ref)
	}
	if err == nil {
		rb := &rbacv1.RoleBinding{ObjectMeta: meta}
		_, err = ctrl.CreateOrUpdate(ctx, c.Client, rb, func() error {
			rb.Labels, rb.RoleRef = labels, ref
			rb.Subjects = []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: g.Spec.Requester}}
			return ctrl.SetControllerReference(g, rb, c.Client.Scheme())
		})
	}
	switch {
	case apierrors.IsNotFound(err):
		// The namespace does not exist: nothing to bind there, nothing to write there either.
		ctrl.LoggerFrom(ctx).Info("namespace of a grant does not exist", logkeys.Grant, g.Name, logkeys.Namespace, meta.Namespace)
		return nil
	case err != nil:
		return fmt.Errorf("binding grant %s's Role in %s: %w", g.Name, meta.Namespace, err)
	}
	return nil
}

// dropOtherBinding deletes the grant's RoleBinding when it binds anything but ref (one an earlier
// driftgate made to the whole ClusterRole): a roleRef cannot be changed in place.
func (c *Controller) dropOtherBinding(ctx context.Context, meta metav1.ObjectMeta, ref rbacv1.RoleRef) error {
	var rb rbacv1.RoleBinding
	err := c.Client.Get(ctx, client.ObjectKey{Namespace: meta.Namespace, Name: meta.Name}, &rb)
	if err != nil || rb.RoleRef == ref {
		return client.IgnoreNotFound(err)
	}
	return client.IgnoreNotFound(c.Client.Delete(ctx, &rb))
}
