package live

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/driftgate/driftgate/audit"
)

var (
	configMapKind  = schema.GroupKind{Kind: "ConfigMap"}
	secretKind     = schema.GroupKind{Kind: "Secret"}
	deploymentKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	widgetKind     = schema.GroupKind{Group: "example.com", Kind: "Widget"}
	deployments    = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// recorder records OnChange calls.
type recorder struct {
	mu   sync.Mutex
	keys []Key
}

func (r *recorder) onChange(k Key) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, k)
}

// seen reports whether k was recorded, and forgets what was recorded if so.
func (r *recorder) seen(k Key) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.keys, k) {
		return false
	}
	r.keys = nil
	return true
}

// inNamespace returns the keys recorded in one namespace.
func (r *recorder) inNamespace(ns string) []Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Key
	for _, k := range r.keys {
		if k.Namespace == ns {
			out = append(out, k)
		}
	}
	return out
}

// newTestCache returns a Cache of the admin's, stopped when the test ends.
func newTestCache(t *testing.T, c clients, resync time.Duration, rec *recorder) *Cache {
	t.Helper()
	o := Options{Client: c.dynamic, Mapper: c.reader.Mapper, Resync: resync}
	if rec != nil {
		o.OnChange = rec.onChange
	}
	cache := NewCache(o)
	t.Cleanup(cache.Stop)
	return cache
}

func watchKinds(t *testing.T, cache *Cache, kinds ...schema.GroupKind) []string {
	t.Helper()
	notes, err := cache.Watch(testContext(t), kinds)
	if err != nil {
		t.Fatalf("Watch(%v): %v", kinds, err)
	}
	return notes
}

// dataValue is data.a of a cached ConfigMap, or "(gone)".
func dataValue(cache *Cache, k Key) string {
	o, ok := cache.Get(k)
	if !ok {
		return "(gone)"
	}
	v, _, _ := unstructured.NestedString(o.Content, "data", "a")
	return v
}

func TestCacheFollowsChanges(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	rec := &recorder{}
	cache := newTestCache(t, c, 0, rec)
	if notes := watchKinds(t, cache, configMapKind); len(notes) > 0 {
		t.Errorf("notes: %v", notes)
	}
	key := Key{Kind: "ConfigMap", Namespace: ns, Name: "app"}
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"create", func() {
			c.apply(t, "argocd-controller", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: "+ns+"}\ndata: {a: one}\n")
		}, "one"},
		{"update", func() {
			c.edit(t, "kubectl-edit", configMaps, ns, "app", func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, "two", "data", "a")
			})
		}, "two"},
		{"delete", func() {
			if err := c.dynamic.Resource(configMaps).Namespace(ns).Delete(context.Background(), "app", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}, "(gone)"},
	}
	for _, s := range steps {
		s.change()
		eventually(t, "OnChange after "+s.name, func() bool { return rec.seen(key) })
		// The store is updated before handlers are called, so Get sees the change now.
		if got := dataValue(cache, key); got != s.want {
			t.Errorf("after %s: data.a = %q, want %q", s.name, got, s.want)
		}
	}
}

func TestCacheWatchStopsDroppedKinds(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	c.apply(t, "argocd-controller", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: "+ns+"}\ndata: {a: b}\n")
	c.apply(t, "argocd-controller", "apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: "+ns+"}\ndata: {a: Yg==}\n")
	cache := newTestCache(t, c, 0, nil)
	secretKey := Key{Kind: "Secret", Namespace: ns, Name: "app"}

	notes := watchKinds(t, cache, configMapKind, secretKind, widgetKind)
	wantNotes := []string{"the cluster does not serve Widget.example.com: not watched, its objects in Git are reported missing"}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	secret, ok := cache.Get(secretKey)
	if !ok {
		t.Fatal("the Secret is not cached")
	}
	if v, _, _ := unstructured.NestedString(secret.Content, "data", "a"); v != "Yg==" {
		t.Errorf("cached Secret data.a = %q, want its value Yg==", v)
	}
	secrets := cache.informer(secretKind)

	if notes := watchKinds(t, cache, configMapKind); len(notes) > 0 {
		t.Errorf("notes of the second Watch: %v", notes)
	}
	if !secrets.informer.IsStopped() {
		t.Error("the dropped Secret informer still runs")
	}
	if _, ok := cache.Get(secretKey); ok {
		t.Error("the Secret is still cached")
	}
	got := [][]string{
		describe(inNamespaceOrNamed(cache.List(secretKind), ns)),
		describe(inNamespaceOrNamed(cache.List(configMapKind), ns)),
	}
	want := [][]string{nil, {"ConfigMap " + ns + "/app"}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
		t.Errorf("listed Secrets, ConfigMaps (-want +got):\n%s", diff)
	}
	if n := len(cache.List(configMapKind)); cache.Len() != n {
		t.Errorf("Len = %d, want the %d ConfigMaps", cache.Len(), n)
	}
}

func TestCacheKeepsManagedFieldsOfServerSideApply(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	git := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ` + ns + `}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]
`
	c.apply(t, "argocd-controller", git)
	ctx := context.Background()
	web := c.dynamic.Resource(deployments).Namespace(ns)
	status := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": ns},
		"status":   map[string]any{"observedGeneration": int64(1)},
	}}
	if _, err := web.ApplyStatus(ctx, "web", status, metav1.ApplyOptions{FieldManager: "status-writer", Force: true}); err != nil {
		t.Fatalf("applying status: %v", err)
	}
	if _, err := web.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`),
		metav1.PatchOptions{FieldManager: "kubectl-scale"}, "scale"); err != nil {
		t.Fatalf("scaling: %v", err)
	}

	cache := newTestCache(t, c, 0, nil)
	watchKinds(t, cache, deploymentKind)
	live, ok := cache.Get(Key{Group: "apps", Kind: "Deployment", Namespace: ns, Name: "web"})
	if !ok {
		t.Fatal("the Deployment is not cached")
	}
	if diff := cmp.Diff([]string{"argocd-controller Apply", "kubectl-scale Update scale"}, managers(live)); diff != "" {
		t.Errorf("managedFields entries kept (-want +got):\n%s", diff)
	}
	if extra := bookkeeping(live); len(extra) > 0 {
		t.Errorf("the cached Deployment keeps %v", extra)
	}
	// The differ finds the scale from the kept managedFields.
	d, err := audit.New(audit.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.DiffObject(parseObjects(t, git)[0], live)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Fields {
		got = append(got, f.Path+" by "+f.Manager)
	}
	if diff := cmp.Diff([]string{"spec.replicas by kubectl-scale"}, got); diff != "" {
		t.Errorf("drift of the cached Deployment (-want +got):\n%s", diff)
	}
}

func TestCacheRelists(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	c.apply(t, "argocd-controller", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: "+ns+"}\ndata: {a: one}\n")
	rec := &recorder{}
	cache := newTestCache(t, c, time.Second, rec)
	watchKinds(t, cache, configMapKind)
	lw := cache.informer(configMapKind).lw
	// The third list starts after the second (the first relist) has been handled.
	eventually(t, "two relists", func() bool { return lw.listCount() >= 3 })
	if got := rec.inNamespace(ns); len(got) > 0 {
		t.Errorf("relists of an unchanged object called OnChange: %v", got)
	}
	key := Key{Kind: "ConfigMap", Namespace: ns, Name: "app"}
	c.edit(t, "kubectl-edit", configMaps, ns, "app", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "two", "data", "a")
	})
	eventually(t, "the update after relists", func() bool { return rec.seen(key) })
	if got := dataValue(cache, key); got != "two" {
		t.Errorf("data.a = %q, want two", got)
	}
}

func TestCacheNotesKindsItMayNotList(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	alice := newClients(t, aliceMayListConfigMaps(t, c, ns))
	cache := newTestCache(t, alice, 0, nil)
	notes, err := cache.Watch(testContext(t), []schema.GroupKind{configMapKind})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "cannot list ConfigMap cluster-wide: not watched") {
		t.Errorf("notes = %q; want one saying ConfigMaps cannot be listed", notes)
	}
	if cache.informer(configMapKind) != nil {
		t.Error("the forbidden kind is still watched")
	}
}
