package loop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/config"
)

// fakeFetcher answers every Fetch with snap or err, and counts the calls.
type fakeFetcher struct {
	snap  source.Snapshot
	err   error
	calls int
}

func (f *fakeFetcher) Fetch(context.Context, source.Spec) (source.Snapshot, error) {
	f.calls++
	return f.snap, f.err
}

func (f *fakeFetcher) FetchFlux(context.Context, source.Flux) (source.Snapshot, error) {
	f.calls++
	return f.snap, f.err
}

// fakeLive holds the live objects.
type fakeLive map[live.Key]audit.Object

func (l fakeLive) Watch(context.Context, []schema.GroupKind) ([]string, error) { return nil, nil }

func (l fakeLive) Get(k live.Key) (audit.Object, bool) { o, ok := l[k]; return o, ok }

func (l fakeLive) List(gk schema.GroupKind) []audit.Object {
	var out []audit.Object
	for k, o := range l {
		if k.Group == gk.Group && k.Kind == gk.Kind {
			out = append(out, o)
		}
	}
	return out
}

const commitSHA = "0123456789abcdef0123456789abcdef01234567"

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func deploymentObject(source, image string) audit.Object {
	return audit.Object{Source: source, Content: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "prod"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "app", "image": image}}}}},
	}}
}

var webKey = live.Key{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}

// env is a Reconciler over a fake API server, Git and live objects, at a fake time.
type env struct {
	r       *Reconciler
	c       client.Client
	fetcher *fakeFetcher
	clock   *clocktesting.FakePassiveClock
}

func newEnv(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) *env {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{v1alpha1.AddToScheme, corev1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.GitSource{}, &v1alpha1.BreakGlassEdit{}).
		WithInterceptorFuncs(funcs).Build()
	mapper := apimeta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, apimeta.RESTScopeNamespace)
	f := &fakeFetcher{snap: source.Snapshot{Revision: commitSHA, Objects: []audit.Object{deploymentObject("web.yaml (document 1)", "shop/web:v1")}}}
	clock := clocktesting.NewFakePassiveClock(t0)
	r := &Reconciler{
		Client: c, APIReader: c, Mapper: mapper, Fetcher: f,
		Live:   fakeLive{webKey: deploymentObject("live", "shop/web:v1")},
		Config: config.Default().Audit, Markers: config.Default().Markers, Namespace: "driftgate-system",
		Clock: clock, Events: events.NewFakeRecorder(100), Log: logr.Discard(),
	}
	return &env{r: r, c: c, fetcher: f, clock: clock}
}

func gitSourceObject(spec v1alpha1.GitSourceSpec) *v1alpha1.GitSource {
	if spec.URL == "" {
		spec.URL = "https://git.example.com/fleet.git"
	}
	spec.Interval = metav1.Duration{Duration: time.Minute}
	return &v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{Name: "fleet", Generation: 1}, Spec: spec}
}

func (e *env) reconcile(t *testing.T) (ctrl.Result, error) {
	t.Helper()
	return e.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: "fleet"}})
}

func (e *env) source(t *testing.T) *v1alpha1.GitSource {
	t.Helper()
	gs := &v1alpha1.GitSource{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Name: "fleet"}, gs); err != nil {
		t.Fatal(err)
	}
	return gs
}

// conditions are a source's conditions as "Type=Status/Reason@generation".
func conditions(gs *v1alpha1.GitSource) map[string]string {
	out := map[string]string{}
	for _, c := range gs.Status.Conditions {
		out[c.Type] = fmt.Sprintf("%s/%s@%d", c.Status, c.Reason, c.ObservedGeneration)
	}
	return out
}

// TestStatusWrittenWhenBackportPassFails: the audit is written even when the edits cannot be
// listed, the last backport count is kept, and the error is returned for a retry.
func TestStatusWrittenWhenBackportPassFails(t *testing.T) {
	gs := gitSourceObject(v1alpha1.GitSourceSpec{})
	gs.Status.Counts.BackportRequired = 2
	listErr := errors.New("the cache is not synced")
	e := newEnv(t, interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
		if _, ok := list.(*v1alpha1.BreakGlassEditList); ok {
			return listErr
		}
		return c.List(ctx, list, opts...)
	}}, gs)

	if _, err := e.reconcile(t); !errors.Is(err, listErr) {
		t.Fatalf("Reconcile error = %v, want the listing error", err)
	}
	got := e.source(t)
	if got.Status.Revision != commitSHA[:12] || got.Status.Counts.InSync != 1 || got.Status.LastAuditTime == nil ||
		got.Status.Counts.BackportRequired != 2 {
		t.Errorf("status %+v, want revision %s, 1 in sync, an audit time and the 2 edits to backport kept", got.Status, commitSHA[:12])
	}
	if diff := cmp.Diff(map[string]string{"Ready": "True/Audited@1", "SourceAvailable": "True/Fetched@1"}, conditions(got)); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}

// TestSpecThatCannotWork: a spec no retry can fix is Stalled and fetched again only when it
// changes; other failures are retried on the interval.
func TestSpecThatCannotWork(t *testing.T) {
	pathMissing := fmt.Errorf("path %q in fleet at 0123456789ab: %w", "clusters/prod", source.ErrPathNotFound)
	tests := []struct {
		name     string
		spec     v1alpha1.GitSourceSpec
		fetchErr error
		stalled  bool
		// fetches is how many times the first reconcile fetches (none when the spec is refused
		// before fetching).
		fetches int
	}{
		{name: "unparsable URL", spec: v1alpha1.GitSourceSpec{URL: "https://git.example.com/%zz"}, stalled: true},
		{name: "unsupported scheme", spec: v1alpha1.GitSourceSpec{URL: "ftp://git.example.com/fleet.git"}, stalled: true},
		{name: "URL without a host", spec: v1alpha1.GitSourceSpec{URL: "https:///fleet.git"}, stalled: true},
		{name: "malformed secretRef", spec: v1alpha1.GitSourceSpec{SecretRef: &v1alpha1.SecretReference{Name: "Fleet_Git"}}, stalled: true},
		{name: "malformed secretRef namespace", spec: v1alpha1.GitSourceSpec{SecretRef: &v1alpha1.SecretReference{Namespace: "flux.system", Name: "git"}}, stalled: true},
		{name: "path leaves the repository", spec: v1alpha1.GitSourceSpec{Path: "../other"},
			fetchErr: fmt.Errorf("path %q: %w", "../other", source.ErrInvalidPath), stalled: true, fetches: 1},
		{name: "path missing at a pinned commit", spec: v1alpha1.GitSourceSpec{Path: "clusters/prod", Revision: commitSHA},
			fetchErr: pathMissing, stalled: true, fetches: 1},
		{name: "path missing on a branch", spec: v1alpha1.GitSourceSpec{Path: "clusters/prod", Revision: "main"},
			fetchErr: pathMissing, fetches: 1},
		{name: "remote base at a pinned commit", spec: v1alpha1.GitSourceSpec{Revision: commitSHA},
			fetchErr: fmt.Errorf("render apps: %w", source.ErrRemoteResource), stalled: true, fetches: 1},
		{name: "credentials refused", fetchErr: fmt.Errorf("fetch x: %w", transport.ErrAuthorizationFailed), fetches: 1},
		{name: "network", fetchErr: errors.New("fetch x: dial tcp: i/o timeout"), fetches: 1},
		{name: "Secret missing", spec: v1alpha1.GitSourceSpec{SecretRef: &v1alpha1.SecretReference{Name: "fleet-git"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, interceptor.Funcs{}, gitSourceObject(tt.spec))
			e.fetcher.err = tt.fetchErr
			res, err := e.reconcile(t)
			if err != nil {
				t.Fatal(err)
			}
			gs := e.source(t)
			want := map[string]string{"Ready": "False/Stale@1", "SourceAvailable": "False/FetchFailed@1"}
			wantRequeue := time.Minute
			if tt.stalled {
				want = map[string]string{"Ready": "False/InvalidSpec@1", "SourceAvailable": "False/InvalidSpec@1", "Stalled": "True/InvalidSpec@1"}
				wantRequeue = 0
			}
			if diff := cmp.Diff(want, conditions(gs)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if res.RequeueAfter != wantRequeue || e.fetcher.calls != tt.fetches || !gs.Status.Stale {
				t.Errorf("requeue after %v, %d fetches, stale %t; want %v, %d, stale", res.RequeueAfter, e.fetcher.calls, gs.Status.Stale, wantRequeue, tt.fetches)
			}

			// Queued again (an edit, a live change) after the interval.
			audited := gs.Status.LastAuditTime
			e.clock.SetTime(t0.Add(2 * time.Minute))
			if _, err := e.reconcile(t); err != nil {
				t.Fatal(err)
			}
			gs = e.source(t)
			if tt.stalled {
				if e.fetcher.calls != tt.fetches || !gs.Status.LastAuditTime.Equal(audited) || conditions(gs)["Stalled"] != "True/InvalidSpec@1" {
					t.Errorf("stalled source reconciled again: %d fetches (want %d), audited at %v (want %v), conditions %v",
						e.fetcher.calls, tt.fetches, gs.Status.LastAuditTime, audited, conditions(gs))
				}
				return
			}
			if e.fetcher.calls != 2*tt.fetches || gs.Status.LastAuditTime.Equal(audited) {
				t.Errorf("failing source after its interval: %d fetches (want %d), audited at %v (want a later time)",
					e.fetcher.calls, 2*tt.fetches, gs.Status.LastAuditTime)
			}
		})
	}
}

// TestStalledUntilSpecChanges: a new generation is fetched at once; once it works, Stalled is
// gone and the source is Ready.
func TestStalledUntilSpecChanges(t *testing.T) {
	e := newEnv(t, interceptor.Funcs{}, gitSourceObject(v1alpha1.GitSourceSpec{URL: "ftp://git.example.com/fleet.git"}))
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	gs := e.source(t)
	gs.Spec.URL, gs.Generation = "https://git.example.com/fleet.git", 2
	if err := e.c.Update(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
	res, err := e.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	gs = e.source(t)
	want := map[string]string{"Ready": "True/Audited@2", "SourceAvailable": "True/Fetched@2"}
	if diff := cmp.Diff(want, conditions(gs)); diff != "" || e.fetcher.calls != 1 || res.RequeueAfter != time.Minute || gs.Status.Stale {
		t.Errorf("after the fix: %d fetches (want 1), requeue after %v (want 1m), stale %t; conditions (-want +got):\n%s",
			e.fetcher.calls, res.RequeueAfter, gs.Status.Stale, diff)
	}
}

// TestMalformedIgnoreRuleStalls: Git is fetched, but spec.ignore cannot be read: Stalled, and
// not fetched or audited again until the spec changes.
func TestMalformedIgnoreRuleStalls(t *testing.T) {
	e := newEnv(t, interceptor.Funcs{}, gitSourceObject(v1alpha1.GitSourceSpec{
		Ignore: []v1alpha1.IgnoreRule{{Kind: "Deployment", Paths: []string{"spec.template[name=app"}}}}))
	res, err := e.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	gs := e.source(t)
	want := map[string]string{"Ready": "False/InvalidSpec@1", "SourceAvailable": "True/Fetched@1", "Stalled": "True/InvalidSpec@1"}
	if diff := cmp.Diff(want, conditions(gs)); diff != "" || res.RequeueAfter != 0 {
		t.Errorf("requeue after %v (want none); conditions (-want +got):\n%s", res.RequeueAfter, diff)
	}
	e.clock.SetTime(t0.Add(2 * time.Minute))
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	if e.fetcher.calls != 1 {
		t.Errorf("%d fetches, want 1", e.fetcher.calls)
	}
}

// TestAuditErrorOfGitContentIsRetried: a diff that fails on what Git holds (a malformed
// ignore-fields annotation) is not the spec's fault: AuditFailed, retried on the interval.
func TestAuditErrorOfGitContentIsRetried(t *testing.T) {
	e := newEnv(t, interceptor.Funcs{}, gitSourceObject(v1alpha1.GitSourceSpec{}))
	obj := deploymentObject("web.yaml (document 1)", "shop/web:v1")
	obj.Content["metadata"].(map[string]any)["annotations"] = map[string]any{"driftgate.io/ignore-fields": "spec.template[name=app"}
	e.fetcher.snap.Objects = []audit.Object{obj}
	res, err := e.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	gs := e.source(t)
	want := map[string]string{"Ready": "False/AuditFailed@1", "SourceAvailable": "True/Fetched@1"}
	if diff := cmp.Diff(want, conditions(gs)); diff != "" || res.RequeueAfter != time.Minute || !gs.Status.Stale {
		t.Errorf("requeue after %v (want 1m), stale %t (want true); conditions (-want +got):\n%s", res.RequeueAfter, gs.Status.Stale, diff)
	}
}

// imageEdit is alice's record of changing web's image from shop/web:v1 to v2, two seconds
// before t0.
func imageEdit() *v1alpha1.BreakGlassEdit {
	return &v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{Name: "edit-1"},
		Spec: v1alpha1.BreakGlassEditSpec{User: "alice", Time: metav1.NewTime(t0.Add(-2 * time.Second)), Operation: "UPDATE",
			Object: v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps",
				Namespace: "prod", Name: "web", ResourceVersion: "7"},
			Changes: []v1alpha1.FieldChange{{Path: "spec.template.spec.containers[name=app].image",
				Old: &apiextensionsv1.JSON{Raw: []byte(`"shop/web:v1"`)}, New: &apiextensionsv1.JSON{Raw: []byte(`"shop/web:v2"`)}}}},
	}
}

// TestLandingEditRequeuesSoon: while a new edit's write is not visible live, the loop looks
// again within a second; with nothing waiting, on the source's interval.
func TestLandingEditRequeuesSoon(t *testing.T) {
	edit := imageEdit()
	for _, tt := range []struct {
		name string
		objs []client.Object
		want time.Duration
	}{
		{"nothing waits", nil, time.Minute},
		{"an edit's write has not shown live", []client.Object{edit}, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, interceptor.Funcs{}, append(tt.objs, gitSourceObject(v1alpha1.GitSourceSpec{}))...)
			res, err := e.reconcile(t)
			if err != nil {
				t.Fatal(err)
			}
			if res.RequeueAfter != tt.want {
				t.Errorf("requeue after %v, want %v", res.RequeueAfter, tt.want)
			}
		})
	}
}

// eventReasons are the type and reason of each event the env's Reconciler emitted so far.
func eventReasons(e *env) []string {
	var out []string
	rec := e.r.Events.(*events.FakeRecorder)
	for {
		select {
		case ev := <-rec.Events:
			f := strings.Fields(ev)
			out = append(out, strings.Join(f[:min(2, len(f))], " "))
		default:
			return out
		}
	}
}

// TestStaleReadDoesNotMixAudits: a reconcile that reads the source from a cache that has not
// seen the last status write does not patch beside it (a merge patch computed from the stale
// copy omits the counts that went back to zero, so the last audit's drifted count would stay
// next to this audit's in-sync one); it looks again, and a fresh read writes the audit whole.
func TestStaleReadDoesNotMixAudits(t *testing.T) {
	var stale *v1alpha1.GitSource
	e := newEnv(t, interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if gs, ok := obj.(*v1alpha1.GitSource); ok && stale != nil {
			stale.DeepCopyInto(gs)
			return nil
		}
		return c.Get(ctx, key, obj, opts...)
	}}, gitSourceObject(v1alpha1.GitSourceSpec{}))
	unaudited := e.source(t)
	e.r.Live = fakeLive{webKey: deploymentObject("live", "shop/web:v2")}
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	drifted := v1alpha1.AuditCounts{Objects: 1, Drifted: 1}
	if diff := cmp.Diff(drifted, e.source(t).Status.Counts); diff != "" {
		t.Fatalf("counts of the first audit (-want +got):\n%s", diff)
	}

	e.r.Live = fakeLive{webKey: deploymentObject("live", "shop/web:v1")}
	stale = unaudited
	res, err := e.reconcile(t)
	stale = nil
	if err != nil || res.RequeueAfter != conflictRetry {
		t.Errorf("Reconcile on a stale read = %+v, %v; want a requeue after %s and no error", res, err, conflictRetry)
	}
	if diff := cmp.Diff(drifted, e.source(t).Status.Counts); diff != "" {
		t.Errorf("counts after the reconcile that read a stale source (-want +got):\n%s", diff)
	}

	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v1alpha1.AuditCounts{Objects: 1, InSync: 1}, e.source(t).Status.Counts); diff != "" {
		t.Errorf("counts after a fresh read (-want +got):\n%s", diff)
	}
}

// TestEditDecidedAgainAfterConflict: when the edit changed since the cache saw it (the self-heal
// protector wrote it), its backport state is decided again on the API server's copy in the same
// pass, not left to a cache that may keep lagging.
func TestEditDecidedAgainAfterConflict(t *testing.T) {
	edit := imageEdit()
	conflicts := 0
	e := newEnv(t, interceptor.Funcs{SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
		if _, ok := obj.(*v1alpha1.BreakGlassEdit); ok && conflicts == 0 {
			conflicts++
			return apierrors.NewConflict(schema.GroupResource{Group: "driftgate.io", Resource: "breakglassedits"}, obj.GetName(), errors.New("the object has been modified"))
		}
		return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
	}}, edit, gitSourceObject(v1alpha1.GitSourceSpec{}))
	e.r.Live = fakeLive{webKey: deploymentObject("live", "shop/web:v2")}
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.BreakGlassEdit{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Name: "edit-1"}, got); err != nil {
		t.Fatal(err)
	}
	if conflicts != 1 || got.Status.Backport != v1alpha1.BackportRequired {
		t.Errorf("after %d conflicts the edit is %q, want Required decided in the same pass", conflicts, got.Status.Backport)
	}
}
