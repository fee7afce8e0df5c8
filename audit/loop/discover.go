package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// DiscoveredLabel marks a GitSource driftgate keeps for a GitOps object; its value is the kind.
// Only GitSources with it are changed or deleted by discovery.
const DiscoveredLabel = "driftgate.io/discovered-from"

// Discoverer keeps a GitSource with a sourceRef for every Flux Kustomization, and deletes those
// whose Kustomization is gone. A person may suspend a discovered GitSource or give it ignore
// rules; discovery owns only its sourceRef and interval.
type Discoverer struct {
	Client client.Client
	Log    logr.Logger
}

// DiscoveredName is the name of the GitSource kept for the Kustomization namespace/name:
// kustomization.<namespace>.<name>, or a digest of it where that is too long for a name.
func DiscoveredName(namespace, name string) string {
	n := "kustomization." + namespace + "." + name
	if len(validation.IsDNS1123Subdomain(n)) == 0 {
		return n
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return "kustomization." + hex.EncodeToString(sum[:10])
}

// Reconcile makes the GitSource of one Kustomization what it should be.
func (d *Discoverer) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	name := DiscoveredName(req.Namespace, req.Name)
	ks := newKustomization()
	err := d.Client.Get(ctx, req.NamespacedName, ks)
	switch {
	case apierrors.IsNotFound(err) || err == nil && ks.GetDeletionTimestamp() != nil:
		return ctrl.Result{}, d.forget(ctx, name)
	case err != nil:
		return ctrl.Result{}, err
	}
	want := v1alpha1.GitSourceSpec{
		SourceRef: &v1alpha1.GitOpsReference{Kind: v1alpha1.SourceKindKustomization, Namespace: req.Namespace, Name: req.Name},
		Interval:  metav1.Duration{Duration: kustomizationInterval(ks)},
	}
	var gs v1alpha1.GitSource
	err = d.Client.Get(ctx, client.ObjectKey{Name: name}, &gs)
	switch {
	case apierrors.IsNotFound(err):
		gs = v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{DiscoveredLabel: v1alpha1.SourceKindKustomization}}, Spec: want}
		if err := d.Client.Create(ctx, &gs); err != nil {
			return ctrl.Result{}, fmt.Errorf("creating GitSource %s: %w", name, err)
		}
		d.Log.Info("keeping a GitSource for a Flux Kustomization", logkeys.Source, name,
			logkeys.Namespace, req.Namespace, logkeys.Name, req.Name)
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	case gs.Labels[DiscoveredLabel] == "":
		return ctrl.Result{}, nil // a person's GitSource of that name: not ours to change
	}
	if equality.Semantic.DeepEqual(gs.Spec.SourceRef, want.SourceRef) && gs.Spec.Interval == want.Interval && gs.Spec.URL == "" {
		return ctrl.Result{}, nil
	}
	before := gs.DeepCopy()
	gs.Spec.URL, gs.Spec.SourceRef, gs.Spec.Interval = "", want.SourceRef, want.Interval
	if err := d.Client.Patch(ctx, &gs, client.MergeFrom(before)); err != nil {
		return ctrl.Result{}, fmt.Errorf("updating GitSource %s: %w", name, err)
	}
	return ctrl.Result{}, nil
}

// forget deletes the discovered GitSource name, if discovery made it.
func (d *Discoverer) forget(ctx context.Context, name string) error {
	var gs v1alpha1.GitSource
	if err := d.Client.Get(ctx, client.ObjectKey{Name: name}, &gs); err != nil {
		return client.IgnoreNotFound(err)
	}
	if gs.Labels[DiscoveredLabel] == "" {
		return nil
	}
	if err := d.Client.Delete(ctx, &gs, client.Preconditions{UID: &gs.UID}); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("deleting GitSource %s: %w", name, err)
	}
	d.Log.Info("the Flux Kustomization is gone: its GitSource is deleted", logkeys.Source, name)
	return nil
}

// kustomizationInterval is the Kustomization's spec.interval (1m when unreadable): the audit
// fetches as often as Flux reconciles, and at once when Flux applies a revision.
func kustomizationInterval(ks *unstructured.Unstructured) time.Duration {
	s, _, _ := unstructured.NestedString(ks.Object, "spec", "interval")
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return time.Minute
}

// newKustomization is an empty Flux Kustomization to read into.
func newKustomization() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kustomizationKind().WithVersion("v1"))
	return u
}

// SetupWithManager watches Flux Kustomizations, and the discovered GitSources so that one whose
// Kustomization went while driftgate was down is deleted at start.
func (d *Discoverer) SetupWithManager(mgr ctrl.Manager) error {
	discovered := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[DiscoveredLabel] != "" })
	return ctrl.NewControllerManagedBy(mgr).
		Named("discover-kustomizations").
		For(newKustomization(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.GitSource{}, handler.EnqueueRequestsFromMapFunc(refOf), builder.WithPredicates(discovered)).
		Complete(d)
}

// refOf maps a GitSource to the Kustomization it audits.
func refOf(_ context.Context, o client.Object) []reconcile.Request {
	gs, ok := o.(*v1alpha1.GitSource)
	if !ok || gs.Spec.SourceRef == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: gs.Spec.SourceRef.Namespace, Name: gs.Spec.SourceRef.Name}}}
}

// servesKustomizations reports whether the cluster serves Flux Kustomizations.
func servesKustomizations(m meta.RESTMapper) bool {
	_, err := m.RESTMapping(kustomizationKind(), "v1")
	return err == nil
}
