package loop

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/config"
)

// Fetcher fetches and renders a source's manifests (source.Fetcher).
type Fetcher interface {
	Fetch(ctx context.Context, s source.Spec) (source.Snapshot, error)
}

// LiveObjects are the watched live objects (live.Cache).
type LiveObjects interface {
	Watch(ctx context.Context, kinds []schema.GroupKind) ([]string, error)
	Get(k live.Key) (audit.Object, bool)
	List(gk schema.GroupKind) []audit.Object
}

// Reconciler audits GitSources. It keeps per-source state in memory and must run as a single
// worker (the manager's leader).
type Reconciler struct {
	// Client reads GitSources and BreakGlassEdits from the cache and writes their status.
	Client client.Client
	// APIReader reads Secrets and objects no source declares, uncached.
	APIReader client.Reader
	Mapper    meta.RESTMapper
	Fetcher   Fetcher
	Live      LiveObjects
	Config    config.Audit
	Markers   config.Markers
	// Namespace is driftgate's namespace, the default for a source's credentials Secret.
	Namespace string
	Clock     clock.PassiveClock
	Events    events.EventRecorder
	Metrics   *Metrics
	Log       logr.Logger

	state states
	queue liveQueue
	// pending is set while an edit waits for its write to show live.
	pending bool
	// editDiffer decides edits (the config's options; built on first use).
	editDiffer *audit.Differ
}

// Reconcile implements reconcile.Reconciler: fetch when due, diff, resolve edits, write status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var gs v1alpha1.GitSource
	if err := r.Client.Get(ctx, req.NamespacedName, &gs); err != nil {
		if client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		}
		// Deleted: forget it and stop watching the kinds only it declared.
		r.state.forget(req.Name)
		r.Metrics.forget(req.Name)
		_, err := r.Live.Watch(ctx, r.state.kinds())
		return ctrl.Result{}, err
	}
	if gs.Spec.Suspend {
		return ctrl.Result{}, nil
	}
	now := r.Clock.Now()
	if r.fetchDue(&gs, now) {
		r.refresh(ctx, &gs, now)
	}
	res := r.audit(&gs)
	required, err := r.trackBackports(ctx, gs.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	res.backportRequired = required[gs.Name]
	if err := r.writeStatus(ctx, &gs, res); err != nil {
		return ctrl.Result{}, err
	}
	next := r.nextFetch(&gs, r.Clock.Now())
	if r.pending {
		next = min(next, time.Second)
	}
	return ctrl.Result{RequeueAfter: next}, nil
}

func interval(gs *v1alpha1.GitSource) time.Duration {
	if d := gs.Spec.Interval.Duration; d > 0 {
		return d
	}
	return time.Minute
}

func (r *Reconciler) fetchDue(gs *v1alpha1.GitSource, now time.Time) bool {
	st := r.state.get(gs.Name)
	return st.fetchedAt.IsZero() || st.generation != gs.Generation || !now.Before(st.fetchedAt.Add(interval(gs)))
}

func (r *Reconciler) nextFetch(gs *v1alpha1.GitSource, now time.Time) time.Duration {
	st := r.state.get(gs.Name)
	if d := st.fetchedAt.Add(interval(gs)).Sub(now); d > time.Second {
		return d
	}
	return time.Second
}
