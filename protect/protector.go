// Package protect keeps a GitOps controller's self-heal from undoing a break-glass fix before it
// is resolved. Flux's kustomize-controller puts Git's values back over a responder's edit on its
// next reconcile (Argo CD's selfHeal within seconds); then the edit reads Reverted, the ticket
// READY TO CLOSE, and the incident fix is gone. While an object has a Required edit, the
// Protector pauses its GitOps controller for it, as driftgate, with annotations saying for which
// edits and tickets: Flux with its own per-object switch on the object
// (kustomize.toolkit.fluxcd.io/reconcile: disabled), Argo CD, which has none, on the object's
// Application (argocd.argoproj.io/skip-reconcile: "true", the whole application). It lifts the
// pause as soon as no edit it holds is Required, also when that happened while driftgate was
// down.
package protect

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// The annotations on a protected object.
const (
	// FluxReconcile is Flux's per-object switch; "disabled" makes kustomize-controller leave the
	// object alone.
	FluxReconcile = "kustomize.toolkit.fluxcd.io/reconcile"
	// ProtectedEdits names the Required edits driftgate protects the object for; present only
	// while driftgate holds the switch (a switch Git sets is not driftgate's to lift).
	ProtectedEdits = "driftgate.io/protected-edits"
	// ProtectedTickets names their tickets.
	ProtectedTickets = "driftgate.io/protected-tickets"
	// OptOutLabel on a namespace set to "off" leaves its break-glass edits to self-heal.
	OptOutLabel = "driftgate.io/self-heal-protection"
	// ArgoSkipReconcile on an Argo CD Application set to "true" makes the application controller
	// leave the whole application alone.
	ArgoSkipReconcile = "argocd.argoproj.io/skip-reconcile"
	// fluxMarker makes an object Flux's.
	fluxMarker = "kustomize.toolkit.fluxcd.io/name"
	// argoTrackingID makes an object Argo CD's: <app>:<group>/<kind>:<namespace>/<name>, where app
	// may be <app namespace>_<app>.
	argoTrackingID = "argocd.argoproj.io/tracking-id"
	// FieldManager is driftgate's field manager for the switch.
	FieldManager = "driftgate"
)

// Protector reconciles one edit's object: protected while any of its edits is Required, not
// protected otherwise. It writes as driftgate (the policy lets driftgate, and only the GitOps
// identities besides, change pause switches). Each edit says in its SelfHealProtected condition
// whether its fix is protected, and why not; an edit its object is held for carries Finalizer,
// so deleting the record lifts the protection first.
type Protector struct {
	// Client lists edits (cached) and patches the objects and the edits.
	Client client.Client
	// Reader reads the edited objects and their namespaces from the API server, not a cache:
	// edits are rare and may be of any kind.
	Reader client.Reader
	// Enabled is breakGlass.selfHealProtection; namespaces opt out with OptOutLabel.
	Enabled bool
	// ArgoCDNamespace holds the Argo CD Applications whose tracking ids name no namespace.
	ArgoCDNamespace string
	// ArgoCDTrackingLabel is the label Argo CD tracks objects with, when configured (markers).
	ArgoCDTrackingLabel string
	// Metrics counts the objects held; nil records nothing.
	Metrics *Metrics
}

// New is the Protector of the configuration, reading and writing through mgr.
func New(mgr ctrl.Manager, cfg *config.Config, m *Metrics) *Protector {
	return &Protector{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Enabled: cfg.BreakGlass.SelfHealProtection,
		ArgoCDNamespace: cfg.BreakGlass.ArgoCDNamespace, ArgoCDTrackingLabel: cfg.Markers.ArgoCDTrackingLabel, Metrics: m}
}

// SetupWithManager watches the edits; each change reconciles its object.
func (p *Protector) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).Named("selfhealprotection").For(&v1alpha1.BreakGlassEdit{}).Complete(p)
}

// Reconcile implements reconcile.Reconciler.
func (p *Protector) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var e v1alpha1.BreakGlassEdit
	if err := p.Client.Get(ctx, req.NamespacedName, &e); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ref := e.Spec.Object
	if ref.Namespace == "" || e.Spec.Operation == "DELETE" {
		return ctrl.Result{}, p.release(ctx, &e)
	}
	obj, err := p.live(ctx, ref)
	if err != nil {
		return ctrl.Result{}, err
	}
	if obj == nil {
		p.Metrics.set(objectKey(ref), false)
		return ctrl.Result{}, p.release(ctx, &e)
	}
	t, none, err := p.targetOf(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	open, skipped, waiting, err := p.held(ctx, t, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	// A record is written before its write lands: look again soon, so the fix is protected
	// within a moment of landing, not at the audit's next look.
	var result ctrl.Result
	if waiting {
		result.RequeueAfter = landingPoll
	}
	v, err := p.verdict(ctx, obj, t, none, open)
	if err != nil {
		return ctrl.Result{}, err
	}
	// While a write may still land, a pause set before it (PauseBefore) stays.
	if t != nil && (v.held() || !waiting) {
		if err := p.apply(ctx, t, v.held(), open); err != nil {
			if !apierrors.IsForbidden(err) {
				return ctrl.Result{}, err
			}
			// A kind driftgate may not patch (the chart's selfHealProtectionResources): permanent,
			// said on the edits, not retried.
			v = protection{reason: ReasonForbidden, message: fmt.Sprintf("driftgate may not patch %s (the chart's selfHealProtectionResources): %s may undo the fix", t.name(), t.controller)}
		}
		p.Metrics.set(t.key(), v.reason == ReasonHeld)
	}
	for i := range open {
		if err := p.record(ctx, &open[i], v); err != nil {
			return ctrl.Result{}, err
		}
	}
	for i := range skipped {
		if err := p.record(ctx, &skipped[i], skippedInGit(t)); err != nil {
			return ctrl.Result{}, err
		}
	}
	if !contains(open, e.Name) && !contains(skipped, e.Name) && !waiting {
		return result, p.release(ctx, &e)
	}
	return result, nil
}

// verdict decides whether the target is to be paused for the open edits, and if not, why. none
// says why obj has no target.
func (p *Protector) verdict(ctx context.Context, obj *unstructured.Unstructured, t *pauseTarget, none protection, open []v1alpha1.BreakGlassEdit) (protection, error) {
	switch {
	case len(open) == 0:
		return protection{}, nil
	case t == nil:
		return none, nil
	case !p.Enabled:
		return protection{reason: ReasonOff, message: "breakGlass.selfHealProtection is off: " + t.controller + " may undo the fix"}, nil
	case t.pausedByOthers():
		return protection{reason: ReasonPausedInGit, message: t.name() + " is paused already (" + t.annotation + ", not set by driftgate): " + t.controller + " does not reconcile it"}, nil
	}
	optOut, err := p.optedOut(ctx, obj.GetNamespace())
	if err != nil {
		return protection{}, err
	}
	if optOut {
		return protection{reason: ReasonOptedOut, message: "namespace " + obj.GetNamespace() + " has " + OptOutLabel + `: "off": ` + t.controller + " may undo the fix"}, nil
	}
	return protection{reason: ReasonHeld, message: "driftgate set " + t.annotation + ": " + strconv.Quote(t.paused) + " on " + t.name() + ": " + t.holds()}, nil
}

// skippedInGit is why an edit of an object Git marks driftgate.io/skip is not held for: the
// audit never decides it, so nothing would lift the pause.
func skippedInGit(t *pauseTarget) protection {
	who := "its GitOps controller"
	if t != nil {
		who = t.controller
	}
	return protection{reason: ReasonSkippedInGit, message: "Git marks the object driftgate.io/skip: the audit never decides this edit, so driftgate does not pause " +
		who + " for it (nothing would lift the pause): " + who + " may undo the fix; keep it by backporting it to Git by hand"}
}

func contains(edits []v1alpha1.BreakGlassEdit, name string) bool {
	for _, e := range edits {
		if e.Name == name {
			return true
		}
	}
	return false
}

func (p *Protector) live(ctx context.Context, ref v1alpha1.ObjectReference) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind))
	err := p.Reader.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err)
	}
	return u, nil
}

func (p *Protector) optedOut(ctx context.Context, namespace string) (bool, error) {
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	if err := p.Reader.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return ns.GetLabels()[OptOutLabel] == "off", nil
}

// landingPoll is how often the Protector looks for a recorded write to land (for up to
// audit.LandingGrace).
const landingPoll = 100 * time.Millisecond
