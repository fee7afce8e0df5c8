package loop

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/live"
)

// settle gathers a burst of live changes into one audit.
const settle = 500 * time.Millisecond

// SetupWithManager registers the loop: GitSources (spec changes), new BreakGlassEdits and live
// object changes (through LiveChanged) all queue audits.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr)
	// A Flux object that applied (or failed) a revision has its sources fetched again.
	for _, k := range []Discovered{fluxKustomizations(), fluxHelmReleases()} {
		if serves(mgr.GetRESTMapper(), k.GVK) {
			b = b.Watches(k.New(), handler.EnqueueRequestsFromMapFunc(r.sourcesOf))
		}
	}
	// An Application whose spec, compared revisions or sync moved has its sources fetched again;
	// Argo CD's status changes at every comparison, which queues nothing.
	if k := argocdApplications(); serves(mgr.GetRESTMapper(), k.GVK) {
		b = b.Watches(k.New(), handler.EnqueueRequestsFromMapFunc(r.sourcesOf), builder.WithPredicates(predicate.Funcs{
			UpdateFunc: func(e event.UpdateEvent) bool {
				return applicationMarkOf(e.ObjectOld) != applicationMarkOf(e.ObjectNew)
			},
		}))
	}
	return b.
		Named("gitsource").
		For(&v1alpha1.GitSource{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.BreakGlassEdit{}, handler.EnqueueRequestsFromMapFunc(r.allSources),
			builder.WithPredicates(predicate.Funcs{
				UpdateFunc: func(e event.UpdateEvent) bool { return false },
				DeleteFunc: func(e event.DeleteEvent) bool { return false },
			})).
		WatchesRawSource(source.Func(r.queue.start)).
		WithOptions(controller.Options{MaxConcurrentReconciles: 1}).
		Complete(r)
}

// sourcesOf are the GitSources whose sourceRef names the Flux object o.
func (r *Reconciler) sourcesOf(ctx context.Context, o client.Object) []reconcile.Request {
	var list v1alpha1.GitSourceList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, gs := range list.Items {
		if ref := gs.Spec.SourceRef; ref != nil && ref.Kind == o.GetObjectKind().GroupVersionKind().Kind &&
			ref.Namespace == o.GetNamespace() && ref.Name == o.GetName() {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: gs.Name}})
		}
	}
	return out
}

func (r *Reconciler) allSources(context.Context, client.Object) []reconcile.Request {
	names := r.state.names()
	out := make([]reconcile.Request, 0, len(names))
	for _, n := range names {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: n}})
	}
	return out
}

// LiveChanged queues an audit of every source that declares the kind of a live object that
// changed. It is the live cache's OnChange and never blocks.
func (r *Reconciler) LiveChanged(k live.Key) {
	gk := schema.GroupKind{Group: k.Group, Kind: k.Kind}
	for _, n := range r.state.declaring(gk) {
		r.queue.add(n)
	}
}

// liveQueue hands live changes to the controller's work queue once it has started.
type liveQueue struct {
	mu sync.Mutex
	q  workqueue.TypedRateLimitingInterface[reconcile.Request]
}

func (l *liveQueue) start(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.q = q
	return nil
}

func (l *liveQueue) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.q != nil {
		l.q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Name: name}}, settle)
	}
}
