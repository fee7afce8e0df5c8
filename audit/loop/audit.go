package loop

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// result is one audit of one source.
type result struct {
	// report is nil until the source has been fetched once.
	report *audit.Report
	// stale: the report is from the last good fetch, not the current state of Git.
	stale    bool
	fetchErr error
	// stalled is the spec's error when the spec cannot work (see sourceState.stalled).
	stalled error
	// auditErr: the diff failed (Git's content, such as a malformed ignore-fields annotation,
	// or the config); retried on the interval like a fetch error.
	auditErr error
	// ran is set when a fetch or diff was tried (not for a stalled source reconciled again).
	ran              bool
	revision         string
	drifting         map[live.Key]time.Time
	backportRequired int
	// sync is the GitOps controller's state for a sourceRef; pending are the objects that
	// differ only because it has not applied the revision audited.
	sync    *v1alpha1.SyncStatus
	pending map[live.Key]bool
}

// stalled reports whether the source's spec of this generation is known not to work.
func (r *Reconciler) stalled(gs *v1alpha1.GitSource) bool {
	st := r.state.get(gs.Name)
	return st.stalled != nil && st.generation == gs.Generation
}

// lastResult is the source's last known result, without auditing.
func (r *Reconciler) lastResult(gs *v1alpha1.GitSource) result {
	st := r.state.get(gs.Name)
	return result{stale: st.stale(), fetchErr: st.fetchErr, stalled: st.stalled, revision: st.revision, sync: st.sync}
}

// audit diffs the source's last known manifests against the live objects.
func (r *Reconciler) audit(gs *v1alpha1.GitSource) result {
	st := r.state.get(gs.Name)
	res := r.lastResult(gs)
	res.ran = true
	r.seed(gs)
	if res.stale || res.stalled != nil {
		// The last known result stays in the status, marked stale.
		return res
	}
	start := r.Clock.Now()
	d, err := r.differFor(gs, st)
	if err != nil {
		if _, cerr := r.baseDiffer(); cerr != nil {
			res.auditErr = cerr // the config's rules, not the source's
			return res
		}
		res.stalled = specInvalid(fmt.Errorf("spec.ignore: %w", err))
		r.state.update(gs.Name, func(st *sourceState) { st.stalled = res.stalled })
		r.Log.Error(err, "the source's spec cannot work: not audited again until it changes", logkeys.Source, gs.Name)
		return res
	}
	rep, err := d.Diff(objects(st.desired), r.liveFor(gs.Name, st))
	if err != nil {
		res.auditErr = err
		return res
	}
	res.report = rep
	if behind(st.sync, st.revision) {
		res.pending = pendingObjects(rep, d.IsHuman)
	}
	r.track(gs, rep, res.pending)
	res.drifting = st.drifting
	r.Metrics.observeAudit(gs.Name, rep, res.pending, r.Clock.Since(start), st.revision, r.Clock.Now())
	return res
}

// seed restores first-seen times from the status after a restart, so they survive it.
func (r *Reconciler) seed(gs *v1alpha1.GitSource) {
	r.state.update(gs.Name, func(st *sourceState) {
		if st.seeded {
			return
		}
		st.seeded = true
		for _, o := range gs.Status.DriftedObjects {
			k := objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)
			st.drifting[k] = o.FirstSeen.Time
		}
	})
}

// differFor is the source's Differ, built once per generation of its spec and of the ignore
// rules its GitOps object declares: building one costs a scheme, and it remembers schemas
// between audits.
func (r *Reconciler) differFor(gs *v1alpha1.GitSource, st *sourceState) (*audit.Differ, error) {
	if st.differ != nil && st.differGeneration == gs.Generation && st.differIgnore == st.gitopsIgnoreVersion {
		return st.differ, nil
	}
	o := r.differOptions(gs)
	o.IgnoreRules = append(o.IgnoreRules, st.gitopsIgnore...)
	d, err := audit.New(o)
	if err != nil {
		return nil, err
	}
	r.state.update(gs.Name, func(st *sourceState) {
		st.differ, st.differGeneration, st.differIgnore = d, gs.Generation, st.gitopsIgnoreVersion
	})
	return d, nil
}

// differOptions are the config's and the source's; the report's revision is not used (the
// status takes the source's).
func (r *Reconciler) differOptions(gs *v1alpha1.GitSource) audit.Options {
	o := audit.DefaultOptions()
	o.Namespace = defaultNamespace(gs)
	o.Markers = r.Markers
	if len(r.Config.GitOpsManagers) > 0 {
		o.GitOpsManagers = r.Config.GitOpsManagers
	}
	o.HumanManagers = r.Config.HumanManagers
	o.IgnoreRules = append(o.IgnoreRules, r.Config.Ignore...)
	for _, rule := range gs.Spec.Ignore {
		o.IgnoreRules = append(o.IgnoreRules, audit.IgnoreRule{Group: rule.Group, Kind: rule.Kind,
			Namespace: rule.Namespace, Name: rule.Name, Paths: rule.Paths})
	}
	return o
}

// liveFor lists the live objects of the source's kinds in the source's namespaces (and
// cluster-scoped ones), leaving out those another source defines: orphans are looked for where
// the source deploys, never in other teams' namespaces.
func (r *Reconciler) liveFor(name string, st *sourceState) []audit.Object {
	var out []audit.Object
	for _, gk := range st.kinds() {
		for _, o := range r.Live.List(gk) {
			k := live.Key{Group: gk.Group, Kind: gk.Kind, Namespace: o.Namespace(), Name: o.Name()}
			if _, mine := st.desired[k]; mine || st.namespaces[k.Namespace] && !r.state.definedElsewhere(name, k) {
				out = append(out, o)
			}
		}
	}
	return out
}

func objects(idx map[live.Key]audit.Object) []audit.Object {
	out := make([]audit.Object, 0, len(idx))
	for _, o := range idx {
		out = append(out, o)
	}
	return out
}

// objectKey keys an object named by apiVersion and kind, as the live cache does.
func objectKey(apiVersion, kind, namespace, name string) live.Key {
	group := schema.FromAPIVersionAndKind(apiVersion, kind).Group
	return live.Key{Group: group, Kind: kind, Namespace: namespace, Name: name}
}

func reportKey(o audit.ObjectReport) live.Key {
	return objectKey(o.APIVersion, o.Kind, o.Namespace, o.Name)
}
