package live

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/driftgate/driftgate/audit"
)

// pageSize is how many objects one list request asks for: each page is pruned and encoded
// before the next is fetched, so a large kind never sits decoded in memory whole.
const pageSize = 500

// Reader lists live objects of the kinds Git declares.
type Reader struct {
	Client dynamic.Interface
	Mapper meta.RESTMapper
}

// Read returns the live objects of every group/kind present in desired (listed cluster-wide; if
// the list is forbidden, listed per namespace of the desired objects of that kind, with
// defaultNamespace for namespaced objects without one), plus Notes for kinds the server does not
// know (their desired objects will be reported missing by the differ) — a kind unknown to the
// server is not an error — and for kinds read per namespace (orphans elsewhere go unseen). A list
// forbidden in one of those namespaces, or of a cluster-scoped kind, is an error.
func (r Reader) Read(ctx context.Context, desired []audit.Object, defaultNamespace string) (live []audit.Object, notes []string, err error) {
	for _, d := range declaredKinds(desired, defaultNamespace) {
		m, ok, err := resolve(r.Mapper, d.gk, d.versions...)
		if err != nil {
			return nil, notes, err
		}
		if !ok {
			notes = append(notes, fmt.Sprintf("the cluster does not serve %s: its %d object(s) in Git are reported missing", d.gk, d.count))
			continue
		}
		objs, perNamespace, err := r.readKind(ctx, m, d.namespaces)
		if err != nil {
			return nil, notes, err
		}
		if perNamespace {
			notes = append(notes, fmt.Sprintf("listing %s cluster-wide is forbidden: read in namespaces %s only, orphans elsewhere are not seen",
				d.gk, strings.Join(d.namespaces, ", ")))
		}
		live = append(live, objs...)
	}
	return live, notes, nil
}

// readKind lists one kind cluster-wide or, when that is forbidden, in each of the namespaces
// (perNamespace).
func (r Reader) readKind(ctx context.Context, m *meta.RESTMapping, namespaces []string) (objs []audit.Object, perNamespace bool, err error) {
	resource := r.Client.Resource(m.Resource)
	gr := m.Resource.GroupResource()
	objs, err = list(ctx, resource, gr)
	if err == nil || !apierrors.IsForbidden(err) || !namespaced(m) || len(namespaces) == 0 {
		return objs, false, wrapList(err, gr, "")
	}
	for _, ns := range namespaces {
		got, err := list(ctx, resource.Namespace(ns), gr)
		if err != nil {
			return nil, true, wrapList(err, gr, ns)
		}
		objs = append(objs, got...)
	}
	return objs, true, nil
}

func wrapList(err error, gr schema.GroupResource, namespace string) error {
	switch {
	case err == nil:
		return nil
	case namespace == "":
		return fmt.Errorf("listing live %s: %w", gr, err)
	default:
		return fmt.Errorf("listing live %s in namespace %s: %w", gr, namespace, err)
	}
}

// list reads every object of a resource page by page, pruning each page as it arrives.
func list(ctx context.Context, resource dynamic.ResourceInterface, gr schema.GroupResource) ([]audit.Object, error) {
	var objs []audit.Object
	opts := metav1.ListOptions{Limit: pageSize}
	for {
		page, err := resource.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range page.Items {
			o, err := liveObject(&page.Items[i], gr)
			if err != nil {
				return nil, err
			}
			objs = append(objs, o)
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return objs, nil
		}
	}
}

// declaredKind is one group/kind of the desired objects.
type declaredKind struct {
	gk         schema.GroupKind
	versions   []string // the versions Git uses, first seen first
	namespaces []string // of its objects, sorted; namespaced objects without one get the default
	count      int
}

// declaredKinds groups the desired objects by group/kind, in the order first seen.
func declaredKinds(desired []audit.Object, defaultNamespace string) []declaredKind {
	var kinds []declaredKind
	index := map[schema.GroupKind]int{}
	for _, o := range desired {
		gk := schema.GroupKind{Group: o.Group(), Kind: o.Kind()}
		i, ok := index[gk]
		if !ok {
			i = len(kinds)
			index[gk] = i
			kinds = append(kinds, declaredKind{gk: gk})
		}
		kinds[i].add(o, defaultNamespace)
	}
	return kinds
}

func (d *declaredKind) add(o audit.Object, defaultNamespace string) {
	d.count++
	if gv, err := schema.ParseGroupVersion(o.APIVersion()); err == nil {
		d.versions = appendNew(d.versions, gv.Version)
	}
	ns := o.Namespace()
	if ns == "" {
		ns = defaultNamespace
	}
	if i, found := slices.BinarySearch(d.namespaces, ns); !found && ns != "" {
		d.namespaces = slices.Insert(d.namespaces, i, ns)
	}
}

func appendNew(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
