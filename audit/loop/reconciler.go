package loop

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
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
	FetchFlux(ctx context.Context, f source.Flux) (source.Snapshot, error)
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
	// APIReader reads Secrets, GitOps objects and objects no source declares, uncached.
	APIReader client.Reader
	// Direct reads the ConfigMaps and Secrets a Flux Kustomization substitutes variables from,
	// uncached (Flux's substitution takes a client).
	Direct client.Client
	Mapper meta.RESTMapper
	// Discovery reads the cluster's version and API versions, which charts see as
	// .Capabilities; nil leaves Helm's defaults.
	Discovery discovery.DiscoveryInterface
	Fetcher   Fetcher
	Live      LiveObjects
	Config    config.Audit
	Markers   config.Markers
	// Namespace is driftgate's namespace, the default for a source's credentials Secret.
	Namespace string
	// ArgoCDNamespace is Argo CD's namespace (breakGlass.argocdNamespace), where its settings
	// and repository Secrets are; empty is argocd.
	ArgoCDNamespace string
	Clock           clock.PassiveClock
	Events          events.EventRecorder
	Metrics         *Metrics
	Log             logr.Logger

	state states
	queue liveQueue
	caps  clusterCapabilities
	// editDiffer decides edits (the config's options; built on first use by baseDiffer).
	editDiffer *audit.Differ
}

// Reconcile implements reconcile.Reconciler: fetch when due, diff, resolve edits, write status.
// The status is written whatever failed; a source whose spec cannot work is Stalled and not
// requeued until its spec changes.
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
	var res result
	if r.stalled(&gs) {
		// Nothing is fetched or audited until the spec changes; edits are still resolved.
		res = r.lastResult(&gs)
	} else {
		if now := r.Clock.Now(); r.fetchDue(&gs, now) || r.fluxMoved(ctx, &gs) {
			r.refresh(ctx, &gs, now)
		}
		res = r.audit(&gs)
	}
	pass, passErr := r.trackBackports(ctx, gs.Name)
	// A failed pass keeps the last count; the audit is written all the same.
	res.backportRequired = gs.Status.Counts.BackportRequired
	if passErr == nil {
		res.backportRequired = pass.required[gs.Name]
	}
	if err := r.writeStatus(ctx, &gs, res); err != nil {
		if apierrors.IsConflict(err) && passErr == nil {
			// The source was read before the cache saw the last write; the watch brings that
			// write and this source back, and the audit is written then.
			return ctrl.Result{RequeueAfter: conflictRetry}, nil
		}
		return ctrl.Result{}, errors.Join(err, passErr)
	}
	if passErr != nil {
		return ctrl.Result{}, passErr
	}
	return ctrl.Result{RequeueAfter: r.requeueAfter(&gs, res, pass)}, nil
}

// conflictRetry is when to look again at a source whose status write met a newer version, in
// case the watch's event for it was handled before this reconcile began.
const conflictRetry = time.Second

// requeueAfter is when to look again: at the next fetch, within a second while an edit's write
// may still land, and never for a stalled source (its spec changing queues it).
func (r *Reconciler) requeueAfter(gs *v1alpha1.GitSource, res result, pass backportPass) time.Duration {
	var next time.Duration
	if res.stalled == nil {
		next = r.nextFetch(gs, r.Clock.Now())
	}
	if pass.landing && (next == 0 || next > time.Second) {
		next = time.Second
	}
	return next
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
