package live

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// decodeJSON decodes a JSON object for test inputs and wants.
func decodeJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return m
}

func TestTransformPrunes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{{
		name: "server bookkeeping and status are dropped; uid, managedFields and last-applied kept",
		in: `{"apiVersion":"apps/v1","kind":"Deployment",
			"metadata":{"name":"web","namespace":"prod","uid":"0b7e","resourceVersion":"42","generation":3,
				"creationTimestamp":"2026-01-02T03:04:05Z","selfLink":"/apis/apps/v1/x",
				"ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o","uid":"1"}],
				"labels":{"app":"web"},
				"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"replicas\":2}}","deployment.kubernetes.io/revision":"3"},
				"managedFields":[
					{"manager":"argocd-controller","operation":"Apply","apiVersion":"apps/v1","time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}},
					{"manager":"kube-controller-manager","operation":"Update","apiVersion":"apps/v1","time":"2026-01-02T03:04:06Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:replicas":{}}},"subresource":"status"},
					{"manager":"kubectl-scale","operation":"Update","apiVersion":"apps/v1","time":"2026-01-02T03:04:07Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}},"subresource":"scale"}]},
			"spec":{"replicas":2},
			"status":{"replicas":2,"readyReplicas":2}}`,
		want: `{"apiVersion":"apps/v1","kind":"Deployment",
			"metadata":{"name":"web","namespace":"prod","uid":"0b7e",
				"labels":{"app":"web"},
				"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"replicas\":2}}","deployment.kubernetes.io/revision":"3"},
				"managedFields":[
					{"manager":"argocd-controller","operation":"Apply","apiVersion":"apps/v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}},
					{"manager":"kubectl-scale","operation":"Update","apiVersion":"apps/v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}},"subresource":"scale"}]},
			"spec":{"replicas":2}}`,
	}, {
		name: "a Secret keeps its data",
		in:   `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod","uid":"9"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}`,
		want: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod","uid":"9"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}`,
	}, {
		name: "a cluster-scoped object without metadata extras",
		in:   `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}`,
		want: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"},"spec":{"finalizers":["kubernetes"]}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := transform(&unstructured.Unstructured{Object: decodeJSON(t, tt.in)})
			if err != nil {
				t.Fatalf("transform: %v", err)
			}
			s, ok := got.(*stored)
			if !ok {
				t.Fatalf("transform returned %T, want *stored", got)
			}
			obj, err := s.object(schema.GroupResource{Resource: "things"})
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if diff := cmp.Diff(decodeJSON(t, tt.want), obj.Content); diff != "" {
				t.Errorf("stored content (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransformKeepsKeyFields(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns","resourceVersion":"7"}}`
	got, err := transform(&unstructured.Unstructured{Object: decodeJSON(t, in)})
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	s := got.(*stored)
	want := []string{"c", "ns", "7"}
	if diff := cmp.Diff(want, []string{s.Name, s.Namespace, s.ResourceVersion}); diff != "" {
		t.Errorf("name, namespace, resourceVersion (-want +got):\n%s", diff)
	}
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(s)
	if err != nil || key != "ns/c" {
		t.Errorf("informer key = %q, %v; want ns/c", key, err)
	}
}

func TestTransformIsIdempotentAndHandlesTombstones(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns","resourceVersion":"7"},"data":{"a":"b"}}`
	first, err := transform(&unstructured.Unstructured{Object: decodeJSON(t, in)})
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	again, err := transform(first)
	if err != nil || again != first {
		t.Errorf("transform of a stored object = %p, %v; want the same %p", again, err, first)
	}
	tomb, err := transform(cache.DeletedFinalStateUnknown{Key: "ns/c", Obj: &unstructured.Unstructured{Object: decodeJSON(t, in)}})
	if err != nil {
		t.Fatalf("transform of a tombstone: %v", err)
	}
	d, ok := tomb.(cache.DeletedFinalStateUnknown)
	if !ok {
		t.Fatalf("transform of a tombstone returned %T", tomb)
	}
	if _, ok := d.Obj.(*stored); !ok || d.Key != "ns/c" {
		t.Errorf("tombstone = {%q, %T}; want {ns/c, *stored}", d.Key, d.Obj)
	}
	if _, err := transform("not an object"); err == nil {
		t.Error("transform of a string: no error")
	}
}

// testCache is a Cache holding objs of one kind in an informer that is never run.
func testCache(t *testing.T, gk schema.GroupKind, namespaced bool, objs ...string) *Cache {
	t.Helper()
	ki := &kindInformer{
		gk:         gk,
		gr:         schema.GroupResource{Group: gk.Group, Resource: "things"},
		namespaced: namespaced,
		informer:   cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0, nil),
	}
	for _, o := range objs {
		s, err := compact(&unstructured.Unstructured{Object: decodeJSON(t, o)})
		if err != nil {
			t.Fatal(err)
		}
		if err := ki.informer.GetIndexer().Add(s); err != nil {
			t.Fatal(err)
		}
	}
	c := NewCache(Options{})
	c.kinds[gk] = ki
	return c
}

func TestGetReturnsIndependentCopies(t *testing.T) {
	gk := schema.GroupKind{Kind: "ConfigMap"}
	c := testCache(t, gk, true, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"},"data":{"a":"b"}}`)
	k := Key{Kind: "ConfigMap", Namespace: "ns", Name: "c"}
	first, ok := c.Get(k)
	if !ok {
		t.Fatal("Get: not found")
	}
	first.Content["data"].(map[string]any)["a"] = "changed"
	delete(first.Content, "kind")
	second, ok := c.Get(k)
	if !ok {
		t.Fatal("second Get: not found")
	}
	want := decodeJSON(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"ns"},"data":{"a":"b"}}`)
	if diff := cmp.Diff(want, second.Content); diff != "" {
		t.Errorf("second Get after mutating the first (-want +got):\n%s", diff)
	}
	if listed := c.List(gk); len(listed) != 1 || listed[0].Content["data"].(map[string]any)["a"] != "b" {
		t.Errorf("List after mutating a Get result = %v", listed)
	}
}

func TestGetKeys(t *testing.T) {
	c := testCache(t, schema.GroupKind{Kind: "Namespace"}, false, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"}}`)
	tests := []struct {
		name string
		key  Key
		want bool
	}{
		{"cluster-scoped", Key{Kind: "Namespace", Name: "prod"}, true},
		{"cluster-scoped, namespace given in error", Key{Kind: "Namespace", Namespace: "default", Name: "prod"}, true},
		{"other name", Key{Kind: "Namespace", Name: "dev"}, false},
		{"kind not watched", Key{Kind: "ConfigMap", Name: "prod"}, false},
		{"other group", Key{Group: "example.com", Kind: "Namespace", Name: "prod"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := c.Get(tt.key); got != tt.want {
				t.Errorf("Get(%+v) found = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len = %d, want 1", got)
	}
}

func TestChangeHandler(t *testing.T) {
	obj := func(rv string) *stored {
		s, err := compact(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "c", "namespace": "ns", "resourceVersion": rv},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := Key{Kind: "ConfigMap", Namespace: "ns", Name: "c"}
	tests := []struct {
		name  string
		event func(h changeHandler)
		want  []Key
	}{
		{"add in the initial list", func(h changeHandler) { h.OnAdd(obj("1"), true) }, nil},
		{"add", func(h changeHandler) { h.OnAdd(obj("1"), false) }, []Key{key}},
		{"update", func(h changeHandler) { h.OnUpdate(obj("1"), obj("2")) }, []Key{key}},
		{"resync or relist of an unchanged object", func(h changeHandler) { h.OnUpdate(obj("2"), obj("2")) }, nil},
		{"delete", func(h changeHandler) { h.OnDelete(obj("2")) }, []Key{key}},
		{"delete seen by a relist", func(h changeHandler) {
			h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/c", Obj: obj("2")})
		}, []Key{key}},
		{"delete seen by a relist, last state unknown", func(h changeHandler) {
			h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/c"})
		}, []Key{key}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Key
			tt.event(changeHandler{gk: schema.GroupKind{Kind: "ConfigMap"}, onChange: func(k Key) { got = append(got, k) }})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("OnChange calls (-want +got):\n%s", diff)
			}
		})
	}
}
