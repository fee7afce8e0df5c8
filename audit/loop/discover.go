package loop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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

// Discovered is a kind of GitOps object discovery keeps a GitSource for.
type Discovered struct {
	// Kind is the sourceRef kind (v1alpha1.SourceKind...).
	Kind string
	// GVK is the object's group, version and kind as discovery watches it.
	GVK schema.GroupVersionKind
	// Interval is how often the object's GitSource fetches when nothing else moves it.
	Interval func(*unstructured.Unstructured) time.Duration
}

// New returns an empty object of the kind to read into.
func (k Discovered) New() *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(k.GVK)
	return u
}

// Discoverer keeps a GitSource with a sourceRef for every object of one GitOps kind, and deletes
// those whose object is gone. A person may suspend a discovered GitSource or give it ignore
// rules; discovery owns only its sourceRef and interval.
type Discoverer struct {
	Client client.Client
	Of     Discovered
	Log    logr.Logger
}

// DiscoveredName is the name of the GitSource kept for the object kind namespace/name:
// <kind>.<namespace>.<name> in lower case (kustomization.flux-system.apps), or a digest of it
// where that is too long for a name.
func DiscoveredName(kind, namespace, name string) string {
	prefix := strings.ToLower(kind) + "."
	if n := prefix + namespace + "." + name; len(validation.IsDNS1123Subdomain(n)) == 0 {
		return n
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return prefix + hex.EncodeToString(sum[:10])
}

// Reconcile makes the GitSource of one object what it should be.
func (d *Discoverer) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	name := DiscoveredName(d.Of.Kind, req.Namespace, req.Name)
	obj := d.Of.New()
	err := d.Client.Get(ctx, req.NamespacedName, obj)
	switch {
	case apierrors.IsNotFound(err) || err == nil && obj.GetDeletionTimestamp() != nil:
		return ctrl.Result{}, d.forget(ctx, name)
	case err != nil:
		return ctrl.Result{}, err
	}
	want := v1alpha1.GitSourceSpec{
		SourceRef: &v1alpha1.GitOpsReference{Kind: d.Of.Kind, Namespace: req.Namespace, Name: req.Name},
		Interval:  metav1.Duration{Duration: d.Of.Interval(obj)},
	}
	var gs v1alpha1.GitSource
	err = d.Client.Get(ctx, client.ObjectKey{Name: name}, &gs)
	switch {
	case apierrors.IsNotFound(err):
		gs = v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{DiscoveredLabel: d.Of.Kind}}, Spec: want}
		if err := d.Client.Create(ctx, &gs); err != nil {
			return ctrl.Result{}, fmt.Errorf("creating GitSource %s: %w", name, err)
		}
		d.Log.Info("keeping a GitSource for a GitOps object", logkeys.Source, name, logkeys.Kind, d.Of.Kind,
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
	d.Log.Info("the GitOps object is gone: its GitSource is deleted", logkeys.Source, name, logkeys.Kind, d.Of.Kind)
	return nil
}

// specInterval is an object's spec.interval (1m when unreadable): the audit fetches as often as
// Flux reconciles, and at once when Flux applies a revision.
func specInterval(o *unstructured.Unstructured) time.Duration {
	s, _, _ := unstructured.NestedString(o.Object, "spec", "interval")
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return time.Minute
}

// fluxKustomizations are Flux Kustomizations, as discovery keeps GitSources for them.
func fluxKustomizations() Discovered {
	return Discovered{Kind: v1alpha1.SourceKindKustomization, GVK: kustomizationKind().WithVersion("v1"), Interval: specInterval}
}

// newKustomization is an empty Flux Kustomization to read into.
func newKustomization() *unstructured.Unstructured { return fluxKustomizations().New() }

// SetupWithManager watches the objects of its kind, and the GitSources discovered for that kind
// so that one whose object went while driftgate was down is deleted at start.
func (d *Discoverer) SetupWithManager(mgr ctrl.Manager) error {
	mine := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetLabels()[DiscoveredLabel] == d.Of.Kind })
	return ctrl.NewControllerManagedBy(mgr).
		Named("discover-"+strings.ToLower(d.Of.Kind)).
		For(d.Of.New(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.GitSource{}, handler.EnqueueRequestsFromMapFunc(refOf), builder.WithPredicates(mine)).
		Complete(d)
}

// refOf maps a GitSource to the object it audits.
func refOf(_ context.Context, o client.Object) []reconcile.Request {
	gs, ok := o.(*v1alpha1.GitSource)
	if !ok || gs.Spec.SourceRef == nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: gs.Spec.SourceRef.Namespace, Name: gs.Spec.SourceRef.Name}}}
}

// serves reports whether the cluster serves gvk.
func serves(m meta.RESTMapper, gvk schema.GroupVersionKind) bool {
	_, err := m.RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}
