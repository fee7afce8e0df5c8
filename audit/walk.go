package audit

import (
	"encoding/json"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// IgnoreAnnotation lists paths, comma-separated, that drift is not reported for. Only the copy in
// Git counts: nobody hides drift by annotating the live object.
const IgnoreAnnotation = "driftgate.io/ignore-fields"

// lastAppliedAnnotation holds what the last client-side apply applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// node is one point of the walk over a desired and a live object.
type node struct {
	depth     int              // the node's path is the walker's first depth segments
	key       string           // the node's map key; "" for a list item
	parentKey string           // the parent's map key
	parent    fieldpath.Schema // schema of the enclosing object
	sch       fieldpath.Schema // schema of the node's value
	own       owners           // managers owning the node or something below it
	la        any              // the node's value in last-applied-configuration
	applied   any              // the node's value in Git as Flux applies it (asApplied)
}

// walker collects the drifted fields of one object.
type walker struct {
	kind   string
	group  string
	secret bool
	ignore [][]fieldpath.Segment
	// ignoreManagers are managers whose fields are never drift (IgnoreRule.Managers).
	ignoreManagers []string
	fields         []Field
	// segs is the path of the node being walked (and of its ancestors, as prefixes), rendered
	// only when needed, mostly for drifted fields.
	segs []fieldpath.Segment
}

// enter makes s the last segment of the path of a child of n, and returns the child's depth.
// The child's path stays valid while it and its descendants are walked.
func (w *walker) enter(n node, s fieldpath.Segment) int {
	w.segs = append(w.segs[:n.depth], s)
	return n.depth + 1
}

// path renders the path of n.
func (w *walker) path(n node) string { return w.pathTo(n.depth) }

// pathTo renders the path of the walked node's ancestor at depth.
func (w *walker) pathTo(depth int) string { return fieldpath.Path(w.segs[:depth]) }

// under reports whether n's parent path is exactly the map keys given.
func (w *walker) under(n node, keys ...string) bool {
	if n.depth != len(keys)+1 {
		return false
	}
	for i, k := range keys {
		if key, ok := w.segs[i].MapKey(); !ok || key != k {
			return false
		}
	}
	return true
}

func (w *walker) child(n node, key string) node {
	return node{
		depth:     w.enter(n, fieldpath.KeySegment(key)),
		key:       key,
		parentKey: n.key,
		parent:    n.sch,
		sch:       fieldpath.FieldOf(n.sch, key),
		own:       n.own.key(key),
		la:        mapOf(n.la)[key],
		applied:   mapOf(n.applied)[key],
	}
}

func (w *walker) keyedChild(n node, shape listShape, it fieldpath.Item, live map[string]any) node {
	return node{
		depth:     w.enter(n, it.Segment()),
		parentKey: n.key,
		sch:       shape.items,
		own:       n.own.item(live),
		la:        laItem(n.la, it),
		applied:   laItem(n.applied, it),
	}
}

func (w *walker) indexChild(n node, shape listShape, i int) node {
	return node{
		depth:     w.enter(n, fieldpath.IndexSegment(i)),
		parentKey: n.key,
		sch:       shape.items,
		own:       n.own.index(i),
		la:        indexItem(n.la, i),
		applied:   indexItem(n.applied, i),
	}
}

// indexItem is item i of a list, nil when there is none.
func indexItem(list any, i int) any {
	if l, ok := list.([]any); ok && i < len(l) {
		return l[i]
	}
	return nil
}

// laItem finds a keyed item in the last-applied list by its key values.
func laItem(la any, it fieldpath.Item) any {
	v, _ := fieldpath.Step(la, it.Segment())
	return v
}

// DiffObject compares one desired object with its live copy. The report's namespace is the live
// object's.
func (d *Differ) DiffObject(desired, live Object) (ObjectReport, error) {
	ignore, err := d.ignoreFor(desired, live)
	if err != nil {
		return ObjectReport{}, err
	}
	ms, hasManaged := d.managers(live)
	w := &walker{
		kind:           live.Kind(),
		group:          live.Group(),
		secret:         live.Group() == "" && live.Kind() == "Secret",
		ignore:         ignore,
		ignoreManagers: d.ignoredManagers(live),
	}
	want := desired.Content
	var applied map[string]any
	if w.secret {
		want = normalizeSecret(want)
	} else if slices.ContainsFunc(ms, func(m *manager) bool { return m.gitops && m.apply }) {
		// Only a GitOps manager's server-side apply owns what Flux's typed form adds.
		applied = asApplied(d.scheme, want, schema.FromAPIVersionAndKind(desired.APIVersion(), desired.Kind()))
	}
	root := node{sch: d.schemas.ForAPIVersion(desired.APIVersion(), desired.Kind()), own: rootOwners(ms), la: lastApplied(live), applied: applied}
	w.compareObject(root, want, live.Content)
	if w.fields == nil {
		w.fields = []Field{}
	}
	slices.SortFunc(w.fields, func(a, b Field) int { return strings.Compare(a.Path, b.Path) })
	r := ObjectReport{
		APIVersion: desired.APIVersion(), Kind: live.Kind(), Namespace: live.Namespace(), Name: live.Name(),
		Status: InSync, Fields: w.fields,
	}
	if len(w.fields) > 0 {
		r.Status = Drifted
	}
	if !hasManaged {
		r.Notes = append(r.Notes, "the live copy has no managedFields: only fields set in Git were compared")
	}
	return r, nil
}

func lastApplied(live Object) any {
	raw, ok := live.Annotations()[lastAppliedAnnotation].(string)
	if !ok {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil
	}
	return v
}
