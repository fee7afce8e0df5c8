package breakglass

import (
	"context"
	"fmt"

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
// grant is Active, a RoleBinding per scoped namespace binds the requester to the configured
// ClusterRole; in every other phase there is none. It never decides admission: the webhook
// checks a grant's phase and expiry itself, so a stopped controller never extends a grant.
type Controller struct {
	Client client.Client
	Config config.BreakGlass
	Clock  clock.PassiveClock
	Events events.EventRecorder
}

// SetupWithManager registers the controller; it also watches the RoleBindings it owns, so one
// deleted by hand comes back while the grant is Active.
func (c *Controller) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("breakglassgrant").
		For(&v1alpha1.BreakGlassGrant{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
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
	if err := c.syncRoleBindings(ctx, &g, step.Phase == v1alpha1.GrantActive); err != nil {
		return ctrl.Result{}, err
	}
	if err := c.updateStatus(ctx, &g, step); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: step.RequeueAfter}, nil
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

// RoleBindingName is the name of the RoleBinding an active grant has in each of its namespaces.
func RoleBindingName(grant string) string {
	return "driftgate-breakglass-" + grant
}

func (c *Controller) syncRoleBindings(ctx context.Context, g *v1alpha1.BreakGlassGrant, bound bool) error {
	for _, ns := range g.Spec.Scope.Namespaces {
		rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: RoleBindingName(g.Name), Namespace: ns}}
		if !bound {
			if err := c.Client.Delete(ctx, rb); client.IgnoreNotFound(err) != nil {
				return fmt.Errorf("removing RoleBinding %s/%s of grant %s: %w", ns, rb.Name, g.Name, err)
			}
			continue
		}
		if err := c.bind(ctx, g, rb); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) bind(ctx context.Context, g *v1alpha1.BreakGlassGrant, rb *rbacv1.RoleBinding) error {
	_, err := ctrl.CreateOrUpdate(ctx, c.Client, rb, func() error {
		rb.Labels = map[string]string{"app.kubernetes.io/managed-by": "driftgate"}
		rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: c.Config.ClusterRole}
		rb.Subjects = []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: g.Spec.Requester}}
		return ctrl.SetControllerReference(g, rb, c.Client.Scheme())
	})
	switch {
	case apierrors.IsNotFound(err):
		// The namespace does not exist: nothing to bind there, nothing to write there either.
		ctrl.LoggerFrom(ctx).Info("namespace of a grant does not exist", logkeys.Grant, g.Name, logkeys.Namespace, rb.Namespace)
		return nil
	case err != nil:
		return fmt.Errorf("binding %s in %s for grant %s: %w", c.Config.ClusterRole, rb.Namespace, g.Name, err)
	}
	return nil
}
