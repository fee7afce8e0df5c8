package loop

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
)

// FetchHelm answers a HelmRelease's render as Fetch does.
func (f *fakeFetcher) FetchHelm(context.Context, source.HelmRelease) (source.Snapshot, error) {
	f.calls++
	return f.snap, f.err
}

// helmObjects are a HelmRelease flux-system/web (interval 1m) whose latest deployed release is
// chart 0.1.0, and its HelmChart flux-system/flux-system-web, whose artifact is offered.
type helmObjects struct {
	generation, observed int64
	// ready is the HelmRelease's Ready status; chartReady the HelmChart's ("False" with its message).
	ready, chartReady, chartMessage string
	attempted, offered              string
	offeredAt, specChangedAt        time.Time
	values                          map[string]any
	valuesFrom                      []any
}

// managedFields are the HelmRelease's: its spec applied by kustomize-controller at
// specChangedAt, its status written by helm-controller.
func (h helmObjects) managedFields() []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{
		{Manager: "kustomize-controller", APIVersion: "helm.toolkit.fluxcd.io/v2", Operation: metav1.ManagedFieldsOperationApply, Time: &metav1.Time{Time: h.specChangedAt},
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{}}`)}},
		{Manager: "helm-controller", APIVersion: "helm.toolkit.fluxcd.io/v2", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &metav1.Time{Time: t0},
			FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{}}`)}},
	}
}

func (h helmObjects) build() []client.Object {
	hr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": map[string]any{"namespace": "flux-system", "name": "web", "generation": h.generation},
		"spec": map[string]any{"interval": "1m", "chart": map[string]any{"spec": map[string]any{"chart": "web",
			"sourceRef": map[string]any{"kind": "HelmRepository", "name": "charts"}}}},
		"status": map[string]any{
			"observedGeneration": h.observed, "lastAttemptedRevision": h.attempted, "helmChart": "flux-system/flux-system-web",
			"history":    []any{map[string]any{"status": "deployed", "chartVersion": "0.1.0", "chartName": "web"}},
			"conditions": []any{map[string]any{"type": "Ready", "status": h.ready, "reason": "UpgradeSucceeded", "message": "Helm upgrade succeeded"}},
		},
	}}
	if h.values != nil {
		_ = unstructured.SetNestedMap(hr.Object, h.values, "spec", "values")
	}
	if h.valuesFrom != nil {
		_ = unstructured.SetNestedSlice(hr.Object, h.valuesFrom, "spec", "valuesFrom")
	}
	hc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmChart",
		"metadata": map[string]any{"namespace": "flux-system", "name": "flux-system-web"},
		"spec":     map[string]any{"chart": "web", "sourceRef": map[string]any{"kind": "HelmRepository", "name": "charts"}},
		"status": map[string]any{
			"artifact":   map[string]any{"url": "http://source-controller/helmchart/web-0.1.0.tgz", "digest": "sha256:00", "revision": h.offered, "lastUpdateTime": h.offeredAt.Format(time.RFC3339)},
			"conditions": []any{map[string]any{"type": "Ready", "status": h.chartReady, "reason": "ChartPullFailed", "message": h.chartMessage}},
		},
	}}
	return []client.Object{hr, hc}
}

// newHelmEnv is an env whose source "fleet" audits the HelmRelease, with Git rendering the
// Deployment with image v2 and the live one holding v1 (written by helm-controller).
func newHelmEnv(t *testing.T, h helmObjects, objs ...client.Object) *env {
	t.Helper()
	gs := gitSourceObject(v1alpha1.GitSourceSpec{})
	gs.Spec.URL = ""
	gs.Spec.SourceRef = &v1alpha1.GitOpsReference{Kind: v1alpha1.SourceKindHelmRelease, Namespace: "flux-system", Name: "web"}
	// The fake client keeps no managedFields: the HelmRelease is read with them.
	withFields := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if err := c.Get(ctx, key, obj, opts...); err != nil {
			return err
		}
		if obj.GetObjectKind().GroupVersionKind().Kind == "HelmRelease" {
			obj.SetManagedFields(h.managedFields())
		}
		return nil
	}}
	e := newEnv(t, withFields, append(append(h.build(), gs), objs...)...)
	mapper := apimeta.NewDefaultRESTMapper([]schema.GroupVersion{{Group: fluxHelmGroup, Version: "v2"}, {Group: fluxSourceGroup, Version: "v1"}})
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)
	e.r.Mapper = mapper
	mapper.Add(schema.GroupVersionKind{Group: fluxHelmGroup, Version: "v2", Kind: "HelmRelease"}, apimeta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Group: fluxSourceGroup, Version: "v1", Kind: "HelmChart"}, apimeta.RESTScopeNamespace)
	e.fetcher.snap = source.Snapshot{Revision: "0.1.0", Objects: []audit.Object{deploymentObject("chart web-0.1.0 templates/deployment.yaml", "shop/web:v2")}}
	return e
}

// TestHelmReleaseSync: a HelmRelease whose spec (its values) helm-controller has not applied yet
// shows what its values change as pending, not drift; a helm-controller that leaves a new chart
// revision or a new spec untried for three intervals is reported not reconciling.
func TestHelmReleaseSync(t *testing.T) {
	applied := helmObjects{generation: 2, observed: 2, ready: "True", chartReady: "True", attempted: "0.1.0", offered: "0.1.0",
		offeredAt: t0.Add(-time.Hour), specChangedAt: t0.Add(-time.Hour)}
	with := func(f func(h *helmObjects)) helmObjects { h := applied; f(&h); return h }
	type want struct {
		Synced                      string
		SpecPending, NotReconciling bool
		Drifted, Pending            int
		InMessage                   string
		// Events are the type and reason of each event, in order.
		Events []string
	}
	tests := []struct {
		name string
		objs helmObjects
		want want
	}{
		{"applied: a difference is drift", applied,
			want{Synced: "True/" + ReasonApplied, Drifted: 1, InMessage: "applied revision 0.1.0", Events: []string{"Warning " + ReasonDriftDetected}}},
		{"values changed, helm-controller not there yet: pending", with(func(h *helmObjects) { h.generation, h.specChangedAt = 3, t0.Add(-time.Minute) }),
			want{Synced: "False/" + ReasonSyncPending, SpecPending: true, Pending: 1, InMessage: "has not applied its current spec yet",
				Events: []string{"Normal " + ReasonDriftPending, "Warning " + ReasonSyncPending}}},
		{"values changed three intervals ago, still not applied: not reconciling", with(func(h *helmObjects) { h.generation, h.specChangedAt = 3, t0.Add(-3*time.Minute) }),
			want{Synced: "False/" + ReasonNotReconciling, SpecPending: true, NotReconciling: true, Pending: 1, InMessage: "may be down or stalled",
				Events: []string{"Normal " + ReasonDriftPending, "Warning " + ReasonNotReconciling}}},
		{"a new chart revision untried for three intervals: not reconciling", with(func(h *helmObjects) { h.offered, h.offeredAt = "0.2.0", t0.Add(-3*time.Minute) }),
			want{Synced: "False/" + ReasonNotReconciling, NotReconciling: true, Pending: 1, InMessage: "may be down or stalled",
				Events: []string{"Normal " + ReasonDriftPending, "Warning " + ReasonNotReconciling}}},
		{"a new chart revision offered a minute ago: behind, not stalled", with(func(h *helmObjects) { h.offered, h.offeredAt = "0.2.0", t0.Add(-time.Minute) }),
			want{Synced: "True/" + ReasonApplied, Drifted: 1, InMessage: "applied revision 0.1.0", Events: []string{"Warning " + ReasonDriftDetected}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newHelmEnv(t, tt.objs)
			if _, err := e.reconcile(t); err != nil {
				t.Fatal(err)
			}
			gs := e.source(t)
			c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSynced)
			if c == nil || gs.Status.Sync == nil {
				t.Fatalf("no Synced condition or sync status: %+v", gs.Status)
			}
			got := want{Synced: string(c.Status) + "/" + c.Reason, SpecPending: gs.Status.Sync.SpecPending, NotReconciling: gs.Status.Sync.NotReconciling,
				Drifted: gs.Status.Counts.Drifted, Pending: gs.Status.Counts.Pending, InMessage: tt.want.InMessage}
			if !strings.Contains(c.Message, tt.want.InMessage) {
				got.InMessage = c.Message
			}
			got.Events = eventReasons(e)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sync (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHelmReleaseBadInput: a chart that fails to render, a values entry that is not YAML, and a
// chart repository source-controller cannot reach each leave the source stale with one line
// saying why, and nothing of it vouched in sync, also after a good audit.
func TestHelmReleaseBadInput(t *testing.T) {
	good := helmObjects{generation: 1, observed: 1, ready: "True", chartReady: "True", attempted: "0.1.0", offered: "0.1.0",
		offeredAt: t0.Add(-time.Hour), specChangedAt: t0.Add(-time.Hour)}
	badValues := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"namespace": "flux-system", "name": "web-values"}, "data": map[string]any{"values.yaml": "image: [v1\n"}}}
	tests := []struct {
		name     string
		bad      func(e *env, h *helmObjects)
		objs     []client.Object
		wantMsg  string
		fetchErr error
	}{
		{name: "a chart that fails to render",
			fetchErr: errors.New("HelmRelease flux-system/web: rendering chart web 0.1.0: execution error at (web/templates/deployment.yaml:12:18): image.digest is required"),
			wantMsg:  "HelmRelease flux-system/web: rendering chart web 0.1.0: execution error at (web/templates/deployment.yaml:12:18): image.digest is required"},
		{name: "a values entry that is not YAML", objs: []client.Object{badValues},
			bad: func(_ *env, h *helmObjects) {
				h.valuesFrom = []any{map[string]any{"kind": "ConfigMap", "name": "web-values"}}
			},
			wantMsg: "HelmRelease flux-system/web: spec.valuesFrom[0] (ConfigMap flux-system/web-values key values.yaml) is not YAML: "},
		{name: "a chart repository source-controller cannot reach",
			bad: func(_ *env, h *helmObjects) {
				h.chartReady, h.chartMessage = "False", "failed to fetch Helm repository index: Get \"http://charts.example.com/index.yaml\": dial tcp: connection refused"
			},
			wantMsg: "HelmRelease flux-system/web: its HelmChart flux-system/flux-system-web is not Ready: failed to fetch Helm repository index: Get \"http://charts.example.com/index.yaml\": dial tcp: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good
			e := newHelmEnv(t, h)
			// A good audit first: Git and live agree.
			e.r.Live = fakeLive{webKey: deploymentObject("live", "shop/web:v2")}
			if _, err := e.reconcile(t); err != nil {
				t.Fatal(err)
			}
			if got := e.source(t).Status.Counts.InSync; got != 1 {
				t.Fatalf("in sync after the good audit: %d, want 1", got)
			}
			if tt.bad != nil {
				tt.bad(e, &h)
			}
			for _, o := range append(h.build(), tt.objs...) {
				o.SetResourceVersion("")
				if err := e.c.Delete(context.Background(), o); err != nil && !strings.Contains(err.Error(), "not found") {
					t.Fatal(err)
				}
				if err := e.c.Create(context.Background(), o); err != nil {
					t.Fatal(err)
				}
			}
			e.fetcher.err = tt.fetchErr
			e.clock.SetTime(t0.Add(2 * time.Minute)) // the interval is due
			if _, err := e.reconcile(t); err != nil {
				t.Fatal(err)
			}
			gs := e.source(t)
			avail := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable)
			ready := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
			type got struct {
				Avail, Ready string
				Stale        bool
				InSync       int
				OneLine      bool
			}
			want := got{Avail: "False", Ready: "False/Stale", Stale: true, InSync: 0, OneLine: true}
			g := got{Avail: string(avail.Status), Ready: string(ready.Status) + "/" + ready.Reason, Stale: gs.Status.Stale,
				InSync: gs.Status.Counts.InSync, OneLine: !strings.Contains(avail.Message, "\n")}
			if diff := cmp.Diff(want, g); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(avail.Message, tt.wantMsg) {
				t.Errorf("SourceAvailable message\n%q\nwant it to start\n%q", avail.Message, tt.wantMsg)
			}
		})
	}
}
