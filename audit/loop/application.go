package loop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/protect"
)

// argoGroup is the API group of Argo CD's Application.
const argoGroup = "argoproj.io"

// applicationKind is Argo CD's Application's group and kind.
func applicationKind() schema.GroupKind {
	return schema.GroupKind{Group: argoGroup, Kind: v1alpha1.SourceKindApplication}
}

// argoInterval is how often an Application's GitSource fetches when nothing moves it, unless
// argocd-cm says otherwise: Argo CD's default reconciliation timeout (timeout.reconciliation).
// A new revision Argo CD compares or syncs fetches at once.
const argoInterval = 3 * time.Minute

// argocdApplications are Argo CD Applications (argoproj.io/v1alpha1), as discovery keeps
// GitSources for them: application.<namespace>.<name>, fetched every argoInterval.
// ApplicationSets make plain Applications, discovered the same way.
func argocdApplications() Discovered {
	return Discovered{Kind: v1alpha1.SourceKindApplication, GVK: applicationKind().WithVersion("v1alpha1"),
		Interval: func(*unstructured.Unstructured) time.Duration { return argoInterval }}
}

// argoReconciliation is the Interval of an Application's GitSource: Argo CD's
// timeout.reconciliation in argocd-cm (in Argo CD's namespace ns), as often as Argo CD compares
// Git; argoInterval when it is not set or cannot be read.
func argoReconciliation(reader client.Reader, ns string) func(*unstructured.Unstructured) time.Duration {
	return func(*unstructured.Unstructured) time.Duration {
		var cm corev1.ConfigMap
		if err := reader.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: argoCM}, &cm); err != nil {
			return argoInterval
		}
		if d, err := time.ParseDuration(cm.Data["timeout.reconciliation"]); err == nil && d > 0 {
			return d
		}
		return argoInterval
	}
}

// newApplication is an empty Argo CD Application to read into.
func newApplication() *unstructured.Unstructured { return argocdApplications().New() }

// ApplicationFetcher renders Argo CD Applications; source.Fetcher does. A Fetcher that cannot
// leaves every Application source stale with a message saying so.
type ApplicationFetcher interface {
	FetchApplication(ctx context.Context, a source.Application) (source.Snapshot, error)
}

// fetchApplication reads the Application a source names, records what it says of its sync and
// the ignore rules of its ignoreDifferences, and renders its sources.
func (r *Reconciler) fetchApplication(ctx context.Context, gs *v1alpha1.GitSource) (source.Snapshot, error) {
	ref := gs.Spec.SourceRef
	u, err := r.getLatest(ctx, applicationKind(), ref.Namespace, ref.Name)
	if err != nil {
		r.state.update(gs.Name, func(st *sourceState) { st.sync, st.gitops = nil, "" })
		return source.Snapshot{}, fmt.Errorf("reading Application %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	sync := applicationSync(u)
	r.state.update(gs.Name, func(st *sourceState) { st.sync, st.gitops = sync, applicationMark(u) })
	settings, err := r.argoSettings(ctx)
	if err != nil {
		return source.Snapshot{}, fmt.Errorf("Application %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	app, err := r.application(ctx, u, settings.tracking)
	if err != nil {
		return source.Snapshot{}, err
	}
	af, ok := r.Fetcher.(ApplicationFetcher)
	if !ok {
		return source.Snapshot{}, errors.New("this driftgate cannot render Argo CD Applications")
	}
	snap, err := af.FetchApplication(ctx, app)
	if err != nil {
		return source.Snapshot{}, err
	}
	snap.Objects = settings.filter.keep(snap.Objects)
	rules, err := r.ignoreDifferences(u, snap.Objects, settings.ignores)
	if err != nil {
		return source.Snapshot{}, fmt.Errorf("Application %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	r.state.update(gs.Name, func(st *sourceState) { st.setGitOpsIgnore(rules) })
	return snap, nil
}

// application reads what rendering an Application takes: its sources at the revisions Argo CD
// compared them at, each with the credentials of Argo CD's repository Secret for its URL, its
// destination namespace, Argo CD's resource tracking and the cluster's capabilities.
func (r *Reconciler) application(ctx context.Context, u *unstructured.Unstructured, tracking argoTracking) (source.Application, error) {
	where := "Application " + u.GetNamespace() + "/" + u.GetName()
	a := source.Application{Namespace: u.GetNamespace(), Name: u.GetName(), InstanceName: instanceName(u, r.argoNamespace()),
		Namespaced: func(group, kind string) bool { return r.namespaced(schema.GroupKind{Group: group, Kind: kind}) }}
	a.DestinationNamespace, _, _ = unstructured.NestedString(u.Object, "spec", "destination", "namespace")
	a.Project, _, _ = unstructured.NestedString(u.Object, "spec", "project")
	a.TrackingLabel, a.TruncateTrackingLabel = tracking.label, tracking.truncate
	if err := inCluster(u); err != nil {
		return a, fmt.Errorf("%s %w: not audited", where, err)
	}
	caps, err := r.caps.get(r.Discovery, r.Clock)
	if err != nil {
		return a, fmt.Errorf("%s: %w", where, err)
	}
	a.Capabilities = caps
	raws, fields, revs := applicationSources(u)
	if len(raws) == 0 {
		return a, fmt.Errorf("%s has neither spec.source nor spec.sources", where)
	}
	// While Argo CD skips the Application (the self-heal protection paused it), it compares
	// nothing: what Git holds is read at each source's targetRevision, and what differs for that
	// reason is pending.
	paused := u.GetAnnotations()[protect.ArgoSkipReconcile] == "true"
	for i, raw := range raws {
		s, err := source.ParseArgoSource(raw)
		if err != nil {
			return a, fmt.Errorf("%s: %s: %w", where, fields[i], err)
		}
		as := source.ApplicationSource{ArgoSource: s, Field: fields[i]}
		if err := as.Check(); err != nil {
			return a, fmt.Errorf("%s: %s: %w", where, fields[i], err)
		}
		if i < len(revs) && !paused {
			as.Revision = revs[i]
		}
		if as.Revision == "" && !paused {
			return a, fmt.Errorf("%s: %s: Argo CD has not compared it with Git yet (no revision in status.sync)", where, fields[i])
		}
		if as.Auth, err = r.argoCredentials(ctx, s.RepoURL, a.Project); err != nil {
			return a, fmt.Errorf("%s: %s: %w", where, fields[i], err)
		}
		a.Sources = append(a.Sources, as)
	}
	return a, nil
}

// The cluster Argo CD runs in, as an Application's destination names it.
const (
	argoInCluster     = "https://kubernetes.default.svc"
	argoInClusterName = "in-cluster"
)

// inCluster checks that an Application deploys into the cluster driftgate audits (Argo CD's
// in-cluster destination); the live objects of another cluster are not here to compare.
func inCluster(u *unstructured.Unstructured) error {
	server, _, _ := unstructured.NestedString(u.Object, "spec", "destination", "server")
	name, _, _ := unstructured.NestedString(u.Object, "spec", "destination", "name")
	switch {
	case server != "" && strings.TrimSuffix(server, "/") != argoInCluster:
		return fmt.Errorf("deploys to another cluster (spec.destination.server %s)", server)
	case name != "" && name != argoInClusterName:
		return fmt.Errorf("deploys to another cluster (spec.destination.name %s)", name)
	}
	return nil
}

// applicationSources are an Application's sources (spec.source, or spec.sources), the field
// each is in, and the revisions Argo CD last compared them at (status.sync.revision or
// revisions).
func applicationSources(u *unstructured.Unstructured) (sources []map[string]any, fields, revisions []string) {
	if list, ok, _ := unstructured.NestedSlice(u.Object, "spec", "sources"); ok && len(list) > 0 {
		for i, s := range list {
			m, _ := s.(map[string]any)
			sources, fields = append(sources, m), append(fields, fmt.Sprintf("spec.sources[%d]", i))
		}
		revisions, _, _ = unstructured.NestedStringSlice(u.Object, "status", "sync", "revisions")
		return sources, fields, revisions
	}
	if m, ok, _ := unstructured.NestedMap(u.Object, "spec", "source"); ok {
		rev, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
		return []map[string]any{m}, []string{"spec.source"}, []string{rev}
	}
	return nil, nil, nil
}

// applicationSync is what an Application's status says of its sync: the revision applied is
// that of its last successful sync (the last entry of status.history), the one attempted that
// of its last sync operation; it is failing while that operation's phase is Failed or Error, or
// while it runs again after a failed attempt (Argo CD retries a failed automated sync, with
// backoff, phase Running and retryCount counting the failures), with Argo CD's message. While
// Argo CD has not synced what it compared (OutOfSync, a sync running or not started), the
// revision audited is pending.
func applicationSync(u *unstructured.Unstructured) *v1alpha1.SyncStatus {
	s := &v1alpha1.SyncStatus{}
	if history, _, _ := unstructured.NestedSlice(u.Object, "status", "history"); len(history) > 0 {
		last, _ := history[len(history)-1].(map[string]any)
		s.AppliedRevision = entryRevision(last)
	}
	op, _, _ := unstructured.NestedMap(u.Object, "status", "operationState")
	if res, ok := op["syncResult"].(map[string]any); ok {
		s.AttemptedRevision = entryRevision(res)
	} else if sync, _, _ := unstructured.NestedMap(op, "operation", "sync"); sync != nil {
		s.AttemptedRevision = entryRevision(sync)
	}
	phase, _ := op["phase"].(string)
	retries, _, _ := unstructured.NestedInt64(op, "retryCount")
	switch {
	case phase == "Failed" || phase == "Error":
		s.Failing, s.Reason = true, "Sync"+phase
	case phase == "Running" && retries > 0:
		s.Failing, s.Reason = true, "SyncRetrying"
	}
	if s.Failing {
		s.Message, _ = op["message"].(string)
	}
	return s
}

// entryRevision is the revision of a history entry, sync result or sync operation: revision,
// or revisions as source.ApplicationRevision joins them.
func entryRevision(m map[string]any) string {
	if list, ok := m["revisions"].([]any); ok && len(list) > 0 {
		revs := make([]string, 0, len(list))
		for _, r := range list {
			s, _ := r.(string)
			revs = append(revs, s)
		}
		return source.ApplicationRevision(revs)
	}
	rev, _ := m["revision"].(string)
	return rev
}

// applicationMark is what makes an Application's source be fetched again when it changes: its
// spec's generation, the revisions Argo CD compared and its sync (applied, attempted, failing).
func applicationMark(u *unstructured.Unstructured) string {
	_, _, revs := applicationSources(u)
	s := applicationSync(u)
	return fmt.Sprintf("%d %v %s %s %t", u.GetGeneration(), revs, s.AppliedRevision, s.AttemptedRevision, s.Failing)
}

// argoNamespace is Argo CD's own namespace, where its settings and repository Secrets are.
func (r *Reconciler) argoNamespace() string { return argoNamespace(r.ArgoCDNamespace) }

// argoNamespace is breakGlass.argocdNamespace, argocd when empty.
func argoNamespace(configured string) string {
	if configured != "" {
		return configured
	}
	return "argocd"
}

// applicationMarkOf is applicationMark of an object the cache hands over ("" for another type).
func applicationMarkOf(o client.Object) string {
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		return ""
	}
	return applicationMark(u)
}

// applicationMoved reports whether the Application a source names changed its spec, the
// revisions Argo CD compared or its sync since the source was last fetched.
func (r *Reconciler) applicationMoved(ctx context.Context, gs *v1alpha1.GitSource) bool {
	ref := gs.Spec.SourceRef
	u := newApplication()
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u); err != nil {
		return false
	}
	return applicationMark(u) != r.state.get(gs.Name).gitops
}
