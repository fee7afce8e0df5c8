package live

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// kindInformer watches one kind, cluster-wide, and keeps its objects in compact form.
type kindInformer struct {
	gk         schema.GroupKind
	gr         schema.GroupResource
	namespaced bool
	lw         *listWatch
	informer   cache.SharedIndexInformer
	cancel     context.CancelFunc
	done       chan struct{}

	mu      sync.Mutex
	lastErr error // the last list or watch error
}

// startInformer starts watching the kind of m.
//
// The informer streams its initial list and each relist (client-go's WatchListClient, on by
// default), every object transformed as it arrives, so a large kind is never held decoded
// whole. From an API server that cannot stream, the reflector falls back to a paginated list
// whose pages client-go's pager gathers before anything is transformed; SharedIndexInformer
// has no page-size setting, and a page size would not lower that peak anyway.
func startInformer(o Options, gk schema.GroupKind, m *meta.RESTMapping) (*kindInformer, error) {
	ki := &kindInformer{
		gk:         gk,
		gr:         m.Resource.GroupResource(),
		namespaced: namespaced(m),
		lw:         newListWatch(o.Client, o.Client.Resource(m.Resource), o.Resync),
		done:       make(chan struct{}),
	}
	ki.informer = cache.NewSharedIndexInformerWithOptions(ki.lw, &unstructured.Unstructured{},
		cache.SharedIndexInformerOptions{ObjectDescription: m.Resource.String()})
	if err := ki.configure(o.OnChange); err != nil {
		return nil, fmt.Errorf("setting up the informer of %s: %w", gk, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ki.cancel = cancel
	go func() {
		defer close(ki.done)
		ki.informer.RunWithContext(ctx)
	}()
	return ki, nil
}

func (ki *kindInformer) configure(onChange func(Key)) error {
	if err := ki.informer.SetTransform(transform); err != nil {
		return err
	}
	if err := ki.informer.SetWatchErrorHandlerWithContext(ki.watchError); err != nil {
		return err
	}
	if onChange == nil {
		return nil
	}
	_, err := ki.informer.AddEventHandler(changeHandler{gk: ki.gk, onChange: onChange})
	return err
}

// watchError records a failed list or watch; the reflector retries on its own.
func (ki *kindInformer) watchError(_ context.Context, _ *cache.Reflector, err error) {
	ki.mu.Lock()
	defer ki.mu.Unlock()
	ki.lastErr = err
}

func (ki *kindInformer) err() error {
	ki.mu.Lock()
	defer ki.mu.Unlock()
	return ki.lastErr
}

// stop stops the informer and waits until it has.
func (ki *kindInformer) stop() {
	ki.cancel()
	<-ki.done
}

// get returns the stored object of namespace/name; the namespace is ignored for a
// cluster-scoped kind.
func (ki *kindInformer) get(namespace, name string) (*stored, bool) {
	if !ki.namespaced {
		namespace = ""
	}
	item, ok, err := ki.informer.GetIndexer().GetByKey(cache.NewObjectName(namespace, name).String())
	if err != nil || !ok {
		return nil, false
	}
	s, ok := item.(*stored)
	return s, ok
}

// list returns the stored objects.
func (ki *kindInformer) list() []*stored {
	items := ki.informer.GetIndexer().List()
	out := make([]*stored, 0, len(items))
	for _, item := range items {
		if s, ok := item.(*stored); ok {
			out = append(out, s)
		}
	}
	return out
}

func (ki *kindInformer) len() int { return len(ki.informer.GetIndexer().ListKeys()) }

// changeHandler turns informer events into OnChange calls: adds after the initial list, updates
// that changed the object (not resyncs or relists that found it unchanged), and deletes.
type changeHandler struct {
	gk       schema.GroupKind
	onChange func(Key)
}

func (h changeHandler) OnAdd(obj any, isInInitialList bool) {
	if !isInInitialList {
		h.notify(obj)
	}
}

func (h changeHandler) OnUpdate(oldObj, newObj any) {
	o, okOld := oldObj.(*stored)
	n, okNew := newObj.(*stored)
	if okOld && okNew && o.ResourceVersion == n.ResourceVersion {
		return
	}
	h.notify(newObj)
}

func (h changeHandler) OnDelete(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		if name, err := cache.ParseObjectName(tomb.Key); err == nil {
			h.onChange(Key{Group: h.gk.Group, Kind: h.gk.Kind, Namespace: name.Namespace, Name: name.Name})
		}
		return
	}
	h.notify(obj)
}

func (h changeHandler) notify(obj any) {
	if s, ok := obj.(*stored); ok {
		h.onChange(Key{Group: h.gk.Group, Kind: h.gk.Kind, Namespace: s.Namespace, Name: s.Name})
	}
}
