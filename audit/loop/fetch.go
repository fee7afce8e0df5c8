package loop

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// refresh fetches and renders the source; on failure the last good manifests are kept and the
// source is stale until a fetch succeeds again. A failure no retry can fix (terminal) stalls the
// source until its spec changes.
func (r *Reconciler) refresh(ctx context.Context, gs *v1alpha1.GitSource, now time.Time) {
	snap, err := r.fetch(ctx, gs)
	var desired map[live.Key]audit.Object
	if err == nil {
		desired = r.index(snap.Objects, defaultNamespace(gs))
	}
	var stalled error
	if err != nil && terminal(gs.Spec, err) {
		stalled = err
	}
	r.state.update(gs.Name, func(st *sourceState) {
		st.fetchedAt, st.generation, st.fetchErr, st.stalled = now, gs.Generation, err, stalled
		if err == nil {
			st.setDesired(snap.ShortRevision(), desired)
		}
	})
	switch {
	case stalled != nil:
		r.Log.Error(err, "the source's spec cannot work: not fetched again until it changes", logkeys.Source, gs.Name)
		return
	case err != nil:
		r.Log.Error(err, "fetching the source failed", logkeys.Source, gs.Name)
		return
	}
	notes, err := r.Live.Watch(ctx, r.state.kinds())
	if err != nil {
		r.Log.Error(err, "watching live objects failed", logkeys.Source, gs.Name)
	}
	for _, n := range notes {
		r.Log.Info("live objects not watched", logkeys.Source, gs.Name, logkeys.Reason, n)
	}
}

func (r *Reconciler) fetch(ctx context.Context, gs *v1alpha1.GitSource) (source.Snapshot, error) {
	if err := checkSpec(gs.Spec); err != nil {
		return source.Snapshot{}, err
	}
	if ref := gs.Spec.SourceRef; ref != nil && ref.Kind == v1alpha1.SourceKindHelmRelease {
		return r.fetchHelmRelease(ctx, gs)
	}
	if ref := gs.Spec.SourceRef; ref != nil && ref.Kind == v1alpha1.SourceKindApplication {
		return r.fetchApplication(ctx, gs)
	}
	if ref := gs.Spec.SourceRef; ref != nil {
		fl, sync, err := r.fluxSource(ctx, ref)
		r.state.update(gs.Name, func(st *sourceState) { st.sync = sync })
		if err != nil {
			return source.Snapshot{}, err
		}
		return r.Fetcher.FetchFlux(ctx, fl)
	}
	spec := source.Spec{URL: gs.Spec.URL, Revision: gs.Spec.Revision, Path: gs.Spec.Path}
	if ref := gs.Spec.SecretRef; ref != nil {
		auth, err := r.credentials(ctx, ref)
		if err != nil {
			return source.Snapshot{}, err
		}
		spec.Auth = auth
	}
	return r.Fetcher.Fetch(ctx, spec)
}

// credentials reads the source's Secret uncached: driftgate never watches Secrets.
func (r *Reconciler) credentials(ctx context.Context, ref *v1alpha1.SecretReference) (source.Auth, error) {
	key := client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}
	if key.Namespace == "" {
		key.Namespace = r.Namespace
	}
	var s corev1.Secret
	if err := r.APIReader.Get(ctx, key, &s); err != nil {
		return source.Auth{}, fmt.Errorf("reading the credentials Secret %s: %w", key, err)
	}
	auth, err := source.AuthFromSecret(s.Data)
	if err != nil {
		return source.Auth{}, fmt.Errorf("credentials Secret %s: %w", key, err)
	}
	return auth, nil
}

// index keys the desired objects as the live ones are keyed: namespaced objects without a
// namespace get the source's default.
func (r *Reconciler) index(objs []audit.Object, defaultNS string) map[live.Key]audit.Object {
	idx := make(map[live.Key]audit.Object, len(objs))
	for _, o := range objs {
		idx[r.keyOf(o, defaultNS)] = o
	}
	return idx
}

func (r *Reconciler) keyOf(o audit.Object, defaultNS string) live.Key {
	k := live.Key{Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name()}
	if k.Namespace == "" && r.namespaced(schema.GroupKind{Group: k.Group, Kind: k.Kind}) {
		k.Namespace = defaultNS
	}
	return k
}

// namespaced asks the API server's discovery; a kind it does not know counts as namespaced.
func (r *Reconciler) namespaced(gk schema.GroupKind) bool {
	m, err := r.Mapper.RESTMapping(gk)
	if err != nil {
		return true
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace
}

func defaultNamespace(gs *v1alpha1.GitSource) string {
	if gs.Spec.DefaultNamespace != "" {
		return gs.Spec.DefaultNamespace
	}
	return "default"
}
