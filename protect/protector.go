// Package protect keeps a GitOps controller's self-heal from undoing a break-glass fix before it
// is resolved. Flux's kustomize-controller puts Git's values back over a responder's edit on its
// next reconcile (Argo CD's selfHeal within seconds); then the edit reads Reverted, the ticket
// READY TO CLOSE, and the incident fix is gone. While an object has a Required edit, the
// Protector sets Flux's own per-object switch on it, kustomize.toolkit.fluxcd.io/reconcile:
// disabled, as driftgate, with annotations saying for which edits and tickets; it lifts them as
// soon as no edit of the object is Required, also when that happened while driftgate was down.
package protect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/internal/logkeys"
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
	// fluxMarker makes an object Flux's.
	fluxMarker = "kustomize.toolkit.fluxcd.io/name"
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
	// Metrics counts the objects held; nil records nothing.
	Metrics *Metrics
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
	open, err := p.openEdits(ctx, ref)
	if err != nil {
		return ctrl.Result{}, err
	}
	obj, err := p.live(ctx, ref)
	if err != nil {
		return ctrl.Result{}, err
	}
	if obj == nil {
		p.Metrics.set(objectKey(ref), false)
		return ctrl.Result{}, p.release(ctx, &e)
	}
	open, waiting := landed(open, obj)
	// A record is written before its write lands: look again soon, so the fix is protected
	// within a moment of landing, not at the audit's next look.
	var result ctrl.Result
	if waiting {
		result.RequeueAfter = landingPoll
	}
	v, err := p.verdict(ctx, obj, open)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := p.apply(ctx, obj, v.held(), open); err != nil {
		if !apierrors.IsForbidden(err) {
			return ctrl.Result{}, err
		}
		// A kind driftgate may not patch (the chart's selfHealProtectionResources): permanent,
		// said on the edits, not retried.
		v = protection{reason: ReasonForbidden, message: fmt.Sprintf("driftgate may not patch %s (the chart's selfHealProtectionResources): Flux may undo the fix on its next reconcile", ref.Resource)}
	}
	p.Metrics.set(objectKey(ref), v.reason == ReasonHeld)
	for i := range open {
		if err := p.record(ctx, &open[i], v); err != nil {
			return ctrl.Result{}, err
		}
	}
	if !contains(open, e.Name) && !waiting {
		return result, p.release(ctx, &e)
	}
	return result, nil
}

// verdict decides whether the object is to be held for its open edits, and if not, why.
func (p *Protector) verdict(ctx context.Context, obj *unstructured.Unstructured, open []v1alpha1.BreakGlassEdit) (protection, error) {
	switch {
	case len(open) == 0:
		return protection{}, nil
	case obj.GetLabels()[fluxMarker] == "":
		return protection{reason: ReasonNoSwitch, message: "the object is not applied by Flux: driftgate has no per-object switch to pause its GitOps controller"}, nil
	case !p.Enabled:
		return protection{reason: ReasonOff, message: "breakGlass.selfHealProtection is off: Flux may undo the fix on its next reconcile"}, nil
	case obj.GetAnnotations()[FluxReconcile] == "disabled" && obj.GetAnnotations()[ProtectedEdits] == "":
		return protection{reason: ReasonPausedInGit, message: "Git pauses the object itself (" + FluxReconcile + ": disabled): Flux does not reconcile it"}, nil
	}
	optOut, err := p.optedOut(ctx, obj.GetNamespace())
	if err != nil {
		return protection{}, err
	}
	if optOut {
		return protection{reason: ReasonOptedOut, message: "namespace " + obj.GetNamespace() + " has " + OptOutLabel + `: "off": Flux may undo the fix on its next reconcile`}, nil
	}
	return protection{reason: ReasonHeld, message: "driftgate set " + FluxReconcile + ": disabled on " + obj.GetKind() + " " + obj.GetNamespace() + "/" + obj.GetName() +
		": Flux leaves it alone until every edit of it is resolved"}, nil
}

func contains(edits []v1alpha1.BreakGlassEdit, name string) bool {
	for _, e := range edits {
		if e.Name == name {
			return true
		}
	}
	return false
}

// openEdits are the Required edits of the object ref names; a record being deleted is not one.
func (p *Protector) openEdits(ctx context.Context, ref v1alpha1.ObjectReference) ([]v1alpha1.BreakGlassEdit, error) {
	var list v1alpha1.BreakGlassEditList
	if err := p.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing break-glass edits: %w", err)
	}
	var out []v1alpha1.BreakGlassEdit
	for _, e := range list.Items {
		o := e.Spec.Object
		if o.APIVersion == ref.APIVersion && o.Kind == ref.Kind && o.Namespace == ref.Namespace && o.Name == ref.Name && e.Open() && e.DeletionTimestamp == nil {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.BreakGlassEdit) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
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

// apply sets or lifts the switch and its annotations with a merge patch, only where it differs.
func (p *Protector) apply(ctx context.Context, obj *unstructured.Unstructured, want bool, open []v1alpha1.BreakGlassEdit) error {
	ann := obj.GetAnnotations()
	ours := ann[ProtectedEdits] != ""
	names, tickets := editNames(open)
	switch {
	case want && ann[FluxReconcile] == "disabled" && (!ours || ann[ProtectedEdits] == names && ann[ProtectedTickets] == tickets):
		return nil // held as it should be, or Git pauses it already (not driftgate's switch)
	case !want && !ours:
		return nil
	}
	before := obj.DeepCopy()
	if ann == nil {
		ann = map[string]string{}
	}
	if want {
		ann[FluxReconcile], ann[ProtectedEdits], ann[ProtectedTickets] = "disabled", names, tickets
	} else {
		delete(ann, FluxReconcile)
		delete(ann, ProtectedEdits)
		delete(ann, ProtectedTickets)
	}
	obj.SetAnnotations(ann)
	err := p.Client.Patch(ctx, obj, client.MergeFrom(before), client.FieldOwner(FieldManager))
	object := obj.GetKind() + " " + obj.GetNamespace() + "/" + obj.GetName()
	switch {
	case apierrors.IsForbidden(err):
		ctrl.LoggerFrom(ctx).Info("self-heal protection not possible: driftgate may not patch this kind",
			logkeys.Object, object, logkeys.Error, err.Error())
		return err
	case err != nil:
		return fmt.Errorf("setting the self-heal protection of %s: %w", object, err)
	case want:
		ctrl.LoggerFrom(ctx).Info("self-heal protection set", logkeys.Object, object, logkeys.Name, names)
	default:
		ctrl.LoggerFrom(ctx).Info("self-heal protection lifted", logkeys.Object, object)
	}
	return nil
}

// landed keeps the edits whose write is live: a recorded write that never landed (refused later,
// or a review no API server sent) has no fix to protect, and protecting it would change the
// object's version the audit tells "never landed" by. waiting is true when a write recorded
// within landingGrace has not landed yet: it may still.
func landed(edits []v1alpha1.BreakGlassEdit, obj *unstructured.Unstructured) (out []v1alpha1.BreakGlassEdit, waiting bool) {
	live := &audit.Object{Source: "live", Content: obj.Object}
	for i := range edits {
		switch {
		case audit.Landed(audit.EditOf(&edits[i]), live):
			out = append(out, edits[i])
		case time.Since(edits[i].Spec.Time.Time) < landingGrace:
			waiting = true
		}
	}
	return out, waiting
}

// How long, and how often, the Protector waits for a recorded write to land.
const (
	landingGrace = 10 * time.Second
	landingPoll  = 100 * time.Millisecond
)

// editNames are the edits' names and their tickets, comma-separated, without repeats.
func editNames(edits []v1alpha1.BreakGlassEdit) (names, tickets string) {
	var n, t []string
	for _, e := range edits {
		n = append(n, e.Name)
		if e.Spec.Ticket != "" && !slices.Contains(t, e.Spec.Ticket) {
			t = append(t, e.Spec.Ticket)
		}
	}
	slices.Sort(t)
	return strings.Join(n, ","), strings.Join(t, ",")
}
