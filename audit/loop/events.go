package loop

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

// Event reasons.
const (
	ReasonDriftDetected = "DriftDetected"
	ReasonDriftResolved = "DriftResolved"
	ReasonMissing       = "ObjectMissing"
	// ReasonDriftPending: the object differs from Git only because its GitOps controller has
	// not applied the revision audited (a delivery failure or delay, not a person's edit).
	ReasonDriftPending = "DriftPending"
	// ReasonSynced: the source's GitOps controller applies what Git declares again; while it did
	// not, the Synced condition's reason is the event's (SyncFailing, SyncPending,
	// ControllerNotReconciling).
	ReasonSynced = "Synced"
)

// track updates the set of out-of-sync objects after a fresh audit and emits an event for each
// object that started or stopped drifting. An object pending on its GitOps controller gets
// DriftPending, not DriftDetected; DriftDetected follows if it still differs once it is not
// pending.
func (r *Reconciler) track(gs *v1alpha1.GitSource, rep *audit.Report, pending map[live.Key]bool) {
	now := r.Clock.Now()
	current := map[live.Key]audit.ObjectReport{}
	for _, o := range rep.Objects {
		if o.Status != audit.InSync {
			current[reportKey(o)] = o
		}
	}
	r.state.update(gs.Name, func(st *sourceState) {
		for k, o := range current {
			_, known := st.drifting[k]
			switch {
			case !known && pending[k]:
				r.driftPending(gs, st.revision, k, o)
			case !known || (st.pending[k] && !pending[k]):
				r.driftStarted(gs, st.revision, k, o)
			}
			if !known {
				st.drifting[k] = now
			}
		}
		for k := range st.drifting {
			if _, still := current[k]; !still {
				delete(st.drifting, k)
				r.driftStopped(gs, st.revision, k)
			}
		}
		st.pending = pending
	})
}

func (r *Reconciler) driftPending(gs *v1alpha1.GitSource, revision string, k live.Key, o audit.ObjectReport) {
	if o.Status == audit.Missing {
		r.Events.Eventf(gs, nil, corev1.EventTypeNormal, ReasonDriftPending, "Audit",
			"%s is in Git (revision %s) and not yet in the cluster: its GitOps controller has not applied that revision", describe(k), revision)
		return
	}
	r.Events.Eventf(r.regarding(k, o.APIVersion), gs, corev1.EventTypeNormal, ReasonDriftPending, "Audit",
		"differs from Git (GitSource %s, revision %s) only because its GitOps controller has not applied that revision; no one is blamed: %s",
		gs.Name, revision, summarize(fieldPaths(o)))
}

// syncChanged emits an event when the source's Synced condition changes status or reason, and
// records it in the metrics.
func (r *Reconciler) syncChanged(gs *v1alpha1.GitSource, before []metav1.Condition) {
	now := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSynced)
	r.Metrics.observeSync(gs.Name, now)
	was := apimeta.FindStatusCondition(before, v1alpha1.ConditionSynced)
	switch {
	case now == nil || (was != nil && was.Status == now.Status && was.Reason == now.Reason):
	case now.Status == metav1.ConditionTrue:
		if was != nil {
			r.Events.Eventf(gs, nil, corev1.EventTypeNormal, ReasonSynced, "Audit", "%s", now.Message)
		}
	default:
		r.Events.Eventf(gs, nil, corev1.EventTypeWarning, now.Reason, "Audit", "%s", now.Message)
	}
}

func (r *Reconciler) driftStarted(gs *v1alpha1.GitSource, revision string, k live.Key, o audit.ObjectReport) {
	if o.Status == audit.Missing {
		r.Events.Eventf(gs, nil, corev1.EventTypeWarning, ReasonMissing, "Audit",
			"%s is in Git (revision %s) but not in the cluster", describe(k), revision)
		return
	}
	paths := fieldPaths(o)
	note := "not in Git (GitSource " + gs.Name + ", revision " + revision + ") but carries a GitOps ownership marker"
	if o.Status == audit.Drifted {
		note = "drifted from Git (GitSource " + gs.Name + ", revision " + revision + "): " + summarize(paths)
	}
	r.Events.Eventf(r.regarding(k, o.APIVersion), gs, corev1.EventTypeWarning, ReasonDriftDetected, "Audit", "%s", note)
}

func (r *Reconciler) driftStopped(gs *v1alpha1.GitSource, revision string, k live.Key) {
	obj, ok := r.Live.Get(k)
	if !ok {
		return
	}
	r.Events.Eventf(r.regarding(k, obj.APIVersion()), gs, corev1.EventTypeNormal, ReasonDriftResolved, "Audit",
		"back in sync with Git (GitSource %s, revision %s)", gs.Name, revision)
}

// regarding is the object an event is about, with its UID when the cache knows it.
func (r *Reconciler) regarding(k live.Key, apiVersion string) runtime.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(k.Kind)
	u.SetNamespace(k.Namespace)
	u.SetName(k.Name)
	if obj, ok := r.Live.Get(k); ok {
		if md, ok := obj.Content["metadata"].(map[string]any); ok {
			if uid, ok := md["uid"].(string); ok {
				u.SetUID(types.UID(uid))
			}
		}
	}
	return u
}

func describe(k live.Key) string {
	kind := k.Kind
	if k.Group != "" {
		kind += "." + k.Group
	}
	if k.Namespace == "" {
		return kind + " " + k.Name
	}
	return kind + " " + k.Namespace + "/" + k.Name
}

// summarize lists up to five paths.
func summarize(paths []string) string {
	if len(paths) <= 5 {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:5], ", ") + " and " + strconv.Itoa(len(paths)-5) + " more"
}

// fieldPaths are the paths of an object's differing fields.
func fieldPaths(o audit.ObjectReport) []string {
	paths := make([]string, 0, len(o.Fields))
	for _, f := range o.Fields {
		paths = append(paths, f.Path)
	}
	return paths
}
