package live

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/driftgate/driftgate/audit"
)

// syncPoll is how often Watch looks whether the new informers have synced.
const syncPoll = 100 * time.Millisecond

// Options configure a Cache.
type Options struct {
	Client dynamic.Interface
	Mapper meta.RESTMapper
	// Resync is the full relist period: every Resync each watched kind is listed afresh from the
	// API server (zero: never; the watches alone keep the cache current).
	Resync time.Duration
	// OnChange is called (from informer goroutines, must not block long) on add/update/delete of
	// a watched object. It is not called for the objects of the initial list, which Watch waits
	// for, nor for relists that find an object unchanged.
	OnChange func(Key)
}

// Key names one live object.
type Key struct {
	Group, Kind, Namespace, Name string
}

// Cache keeps the live objects of the watched kinds, each as compact JSON, current through
// watches.
type Cache struct {
	opts Options
	// watching serializes Watch calls.
	watching sync.Mutex

	mu    sync.RWMutex
	kinds map[schema.GroupKind]*kindInformer
}

// NewCache returns a Cache that watches nothing yet.
func NewCache(o Options) *Cache {
	return &Cache{opts: o, kinds: map[schema.GroupKind]*kindInformer{}}
}

// Watch makes the cache watch exactly these group/kinds (starting informers for new ones,
// stopping ones no longer listed), and returns once the new ones have synced or ctx ends (the
// informers go on; the next Watch waits for any still not synced).
// Unknown kinds are reported in the returned notes, not as errors; so is a kind the cache may not
// list cluster-wide (forbidden), which is not watched. Kinds left out of the cache by a note are
// tried again by the next Watch.
func (c *Cache) Watch(ctx context.Context, kinds []schema.GroupKind) (notes []string, err error) {
	c.watching.Lock()
	defer c.watching.Unlock()
	want := map[schema.GroupKind]bool{}
	for _, gk := range kinds {
		want[gk] = true
	}
	c.stopUnwanted(want)
	notes, err = c.startNew(want)
	if err != nil {
		return notes, err
	}
	forbidden, err := c.waitSynced(ctx, c.informers())
	return append(notes, forbidden...), err
}

// stopUnwanted stops the informers of the kinds not wanted.
func (c *Cache) stopUnwanted(want map[schema.GroupKind]bool) {
	var stop []*kindInformer
	c.mu.Lock()
	for gk, ki := range c.kinds {
		if !want[gk] {
			delete(c.kinds, gk)
			stop = append(stop, ki)
		}
	}
	c.mu.Unlock()
	for _, ki := range stop {
		ki.stop()
	}
}

// startNew starts the informers of the wanted kinds not watched yet, in a stable order.
func (c *Cache) startNew(want map[schema.GroupKind]bool) (notes []string, err error) {
	for _, gk := range sortedKinds(want) {
		if c.informer(gk) != nil {
			continue
		}
		m, ok, err := resolve(c.opts.Mapper, gk)
		if err != nil {
			return notes, err
		}
		if !ok {
			notes = append(notes, fmt.Sprintf("the cluster does not serve %s: not watched, its objects in Git are reported missing", gk))
			continue
		}
		ki, err := startInformer(c.opts, gk, m)
		if err != nil {
			return notes, err
		}
		c.mu.Lock()
		c.kinds[gk] = ki
		c.mu.Unlock()
	}
	return notes, nil
}

// waitSynced waits until each informer has synced, or its list is forbidden (then it is stopped
// and a note says so), or ctx ends.
func (c *Cache) waitSynced(ctx context.Context, pending []*kindInformer) (notes []string, err error) {
	ticker := time.NewTicker(syncPoll)
	defer ticker.Stop()
	for {
		var still []*kindInformer
		for _, ki := range pending {
			switch err := ki.err(); {
			case ki.informer.HasSynced():
			case apierrors.IsForbidden(err):
				c.drop(ki)
				notes = append(notes, fmt.Sprintf("cannot list %s cluster-wide: not watched, its objects in Git are reported missing: %v", ki.gk, err))
			default:
				still = append(still, ki)
			}
		}
		if pending = still; len(pending) == 0 {
			return notes, nil
		}
		select {
		case <-ctx.Done():
			return notes, notSynced(ctx, pending)
		case <-ticker.C:
		}
	}
}

// drop stops an informer and forgets it.
func (c *Cache) drop(ki *kindInformer) {
	c.mu.Lock()
	if c.kinds[ki.gk] == ki {
		delete(c.kinds, ki.gk)
	}
	c.mu.Unlock()
	ki.stop()
}

// notSynced says which kinds did not sync before ctx ended, with their last list error.
func notSynced(ctx context.Context, pending []*kindInformer) error {
	var names, causes []string
	for _, ki := range pending {
		names = append(names, ki.gk.String())
		if err := ki.err(); err != nil {
			causes = append(causes, fmt.Sprintf("%s: %v", ki.gk, err))
		}
	}
	err := fmt.Errorf("waiting for the live %s to be listed: %w", strings.Join(names, ", "), ctx.Err())
	if len(causes) > 0 {
		err = fmt.Errorf("%w (last errors: %s)", err, strings.Join(causes, "; "))
	}
	return err
}

// Get returns the live object, decoded fresh on each call (callers may mutate the result).
func (c *Cache) Get(k Key) (audit.Object, bool) {
	ki := c.informer(schema.GroupKind{Group: k.Group, Kind: k.Kind})
	if ki == nil {
		return audit.Object{}, false
	}
	s, ok := ki.get(k.Namespace, k.Name)
	if !ok {
		return audit.Object{}, false
	}
	o, err := s.object(ki.gr)
	return o, err == nil // content was written by json.Marshal: decoding it does not fail
}

// List returns the live objects of a watched kind, decoded fresh, sorted by namespace and name.
func (c *Cache) List(gk schema.GroupKind) []audit.Object {
	ki := c.informer(gk)
	if ki == nil {
		return nil
	}
	items := ki.list()
	slices.SortFunc(items, func(a, b *stored) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	objs := make([]audit.Object, 0, len(items))
	for _, s := range items {
		if o, err := s.object(ki.gr); err == nil {
			objs = append(objs, o)
		}
	}
	return objs
}

// Len is the number of live objects cached, over all watched kinds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, ki := range c.kinds {
		n += ki.len()
	}
	return n
}

// Stop stops every informer and waits until they have stopped (and for a Watch in progress to
// return). The cache is then empty; a later Watch starts afresh.
func (c *Cache) Stop() {
	c.watching.Lock()
	defer c.watching.Unlock()
	c.stopUnwanted(nil)
}

// informers returns the running informers, in a stable order.
func (c *Cache) informers() []*kindInformer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*kindInformer, 0, len(c.kinds))
	for _, ki := range c.kinds {
		out = append(out, ki)
	}
	slices.SortFunc(out, func(a, b *kindInformer) int { return compareKinds(a.gk, b.gk) })
	return out
}

func (c *Cache) informer(gk schema.GroupKind) *kindInformer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.kinds[gk]
}

func sortedKinds(set map[schema.GroupKind]bool) []schema.GroupKind {
	kinds := make([]schema.GroupKind, 0, len(set))
	for gk := range set {
		kinds = append(kinds, gk)
	}
	slices.SortFunc(kinds, compareKinds)
	return kinds
}

func compareKinds(a, b schema.GroupKind) int {
	return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Kind, b.Kind))
}
