package live

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/watchlist"
)

// listWatch is an informer's ListerWatcher: the dynamic client's list and watch of one resource,
// cluster-wide, made to relist every period. Once watching, client-go's reflector never relists
// on its own (it resumes each ended watch from the last resourceVersion); a watch ending in
// "410 Expired" is how the API server asks for a relist, so listWatch ends its watches that way
// once period has passed since the last list. A period of zero means no periodic relist.
type listWatch struct {
	resource dynamic.ResourceInterface
	period   time.Duration
	// noWatchList is true for clients that cannot stream lists (fakes); see
	// watchlist.DoesClientNotSupportWatchListSemantics.
	noWatchList bool
	// now is the clock.
	now func() time.Time

	mu       sync.Mutex
	listedAt time.Time
	lists    int // how many lists (or watch-list streams) were started, for tests
}

func newListWatch(client dynamic.Interface, resource dynamic.ResourceInterface, period time.Duration) *listWatch {
	return &listWatch{
		resource:    resource,
		period:      period,
		noWatchList: watchlist.DoesClientNotSupportWatchListSemantics(client),
		now:         time.Now,
	}
}

// List implements cache.Lister.
func (lw *listWatch) List(opts metav1.ListOptions) (runtime.Object, error) {
	return lw.ListWithContext(context.Background(), opts)
}

// Watch implements cache.Watcher.
func (lw *listWatch) Watch(opts metav1.ListOptions) (watch.Interface, error) {
	return lw.WatchWithContext(context.Background(), opts)
}

// ListWithContext implements cache.ListerWithContext.
func (lw *listWatch) ListWithContext(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
	lw.listed()
	return lw.resource.List(ctx, opts)
}

// WatchWithContext implements cache.WatcherWithContext. A watch that starts with the initial
// events (a streamed list) counts as a list.
func (lw *listWatch) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	if opts.SendInitialEvents != nil && *opts.SendInitialEvents {
		lw.listed()
	}
	w, err := lw.resource.Watch(ctx, opts)
	if err != nil || lw.period <= 0 {
		return w, err
	}
	return newExpiringWatch(w, lw.relistIn()), nil
}

// IsWatchListSemanticsUnSupported tells the reflector whether it may stream lists.
func (lw *listWatch) IsWatchListSemanticsUnSupported() bool { return lw.noWatchList }

func (lw *listWatch) listed() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.listedAt = lw.now()
	lw.lists++
}

// relistIn is the time left until the next relist is due.
func (lw *listWatch) relistIn() time.Duration {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.listedAt.Add(lw.period).Sub(lw.now())
}

func (lw *listWatch) listCount() int {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.lists
}

// expiringWatch passes on the events of a watch until a deadline, then ends with an "Expired"
// error event.
type expiringWatch struct {
	inner watch.Interface
	out   chan watch.Event
	stop  chan struct{}
	once  sync.Once
}

func newExpiringWatch(inner watch.Interface, after time.Duration) *expiringWatch {
	w := &expiringWatch{inner: inner, out: make(chan watch.Event), stop: make(chan struct{})}
	go w.run(after)
	return w
}

func (w *expiringWatch) run(after time.Duration) {
	defer close(w.out)
	defer w.inner.Stop()
	timer := time.NewTimer(after)
	defer timer.Stop()
	in := w.inner.ResultChan()
	for {
		select {
		case <-w.stop:
			return
		case <-timer.C:
			w.send(expired())
			return
		case ev, ok := <-in:
			if !ok || !w.send(ev) {
				return
			}
		}
	}
}

func (w *expiringWatch) send(ev watch.Event) bool {
	select {
	case w.out <- ev:
		return true
	case <-w.stop:
		return false
	}
}

// Stop implements watch.Interface.
func (w *expiringWatch) Stop() { w.once.Do(func() { close(w.stop) }) }

// ResultChan implements watch.Interface.
func (w *expiringWatch) ResultChan() <-chan watch.Event { return w.out }

// expired is the error event that makes the reflector relist.
func expired() watch.Event {
	status := apierrors.NewResourceExpired("driftgate: periodic relist").Status()
	return watch.Event{Type: watch.Error, Object: &status}
}
