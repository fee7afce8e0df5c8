package live

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/utils/ptr"
)

// drain reads w until its channel closes.
func drain(w watch.Interface) []watch.EventType {
	var types []watch.EventType
	for ev := range w.ResultChan() {
		types = append(types, ev.Type)
	}
	return types
}

func TestExpiringWatchEndsWithExpired(t *testing.T) {
	inner := watch.NewFake()
	w := newExpiringWatch(inner, 0)
	ev, ok := <-w.ResultChan()
	if !ok || ev.Type != watch.Error {
		t.Fatalf("first event = %v, %v; want an Error event", ev.Type, ok)
	}
	if err := apierrors.FromObject(ev.Object); !apierrors.IsResourceExpired(err) {
		t.Errorf("error event = %v; want a ResourceExpired status (what makes the reflector relist)", err)
	}
	if rest := drain(w); len(rest) != 0 {
		t.Errorf("events after the error: %v", rest)
	}
	if !inner.IsStopped() {
		t.Error("the inner watch was not stopped")
	}
}

func TestExpiringWatchPassesEventsUntilStopped(t *testing.T) {
	inner := watch.NewFake()
	w := newExpiringWatch(inner, time.Hour)
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	go inner.Add(cm)
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object != runtime.Object(cm) {
		t.Errorf("event = %v %v; want the Added ConfigMap", ev.Type, ev.Object)
	}
	w.Stop()
	w.Stop() // twice is fine
	if rest := drain(w); len(rest) != 0 {
		t.Errorf("events after Stop: %v", rest)
	}
	if !inner.IsStopped() {
		t.Error("the inner watch was not stopped")
	}
}

func TestListWatchCountsListsAndSchedulesRelist(t *testing.T) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "ConfigMapList"})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lw := newListWatch(client, client.Resource(gvr), 10*time.Minute)
	lw.now = func() time.Time { return now }
	ctx := context.Background()

	if _, err := lw.ListWithContext(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("List: %v", err)
	}
	now = now.Add(4 * time.Minute)
	w, err := lw.WatchWithContext(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	w.Stop()
	got := []any{lw.listCount(), lw.relistIn()}
	stream, err := lw.WatchWithContext(ctx, metav1.ListOptions{SendInitialEvents: ptr.To(true)})
	if err != nil {
		t.Fatalf("watch-list: %v", err)
	}
	stream.Stop()
	got = append(got, lw.listCount(), lw.relistIn(), lw.IsWatchListSemanticsUnSupported())
	want := []any{1, 6 * time.Minute, 2, 10 * time.Minute, true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lists, time to relist after a watch; after a watch-list; fake lacks watch-list (-want +got):\n%s", diff)
	}
}
