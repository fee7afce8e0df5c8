package report

import (
	"cmp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// objectKey identifies an object across API versions.
type objectKey struct{ group, kind, namespace, name string }

func keyOf(apiVersion, kind, namespace, name string) objectKey {
	gv, _ := schema.ParseGroupVersion(apiVersion)
	return objectKey{gv.Group, kind, namespace, name}
}

// touched is what the ticket's edits did to one object.
type touched struct {
	object Object
	paths  []string
	ops    []string
}

// touchedObjects groups the edits by object.
func touchedObjects(edits []Edit) map[objectKey]*touched {
	out := map[objectKey]*touched{}
	for _, e := range edits {
		k := keyOf(e.Object.APIVersion, e.Object.Kind, e.Object.Namespace, e.Object.Name)
		t, ok := out[k]
		if !ok {
			t = &touched{object: e.Object}
			out[k] = t
		}
		for _, c := range e.Changes {
			t.paths = append(t.paths, c.Path)
		}
		t.paths = append(t.paths, e.Backport.OpenPaths...)
		t.ops = append(t.ops, e.Operation)
	}
	return out
}

// otherDrift is what the Git sources report on the edited objects beyond the ticket's paths.
func otherDrift(in Input, edits []Edit) OtherDrift {
	if in.SourcesUnavailable != "" {
		return OtherDrift{Known: false, Note: in.SourcesUnavailable, Objects: []DriftedItem{}}
	}
	if len(in.Sources) == 0 {
		return OtherDrift{Known: false, Note: "no GitSource audits this cluster", Objects: []DriftedItem{}}
	}
	objs := touchedObjects(edits)
	items := []DriftedItem{}
	for _, src := range in.Sources {
		for _, d := range src.Status.DriftedObjects {
			t, ok := objs[keyOf(d.APIVersion, d.Kind, d.Namespace, d.Name)]
			if !ok {
				continue
			}
			if item, ok := driftedItem(&src, d, t); ok {
				items = append(items, item)
			}
		}
	}
	sortItems(items)
	return OtherDrift{Known: true, Objects: items}
}

// driftedItem is d without the paths the ticket's edits cover; false when nothing is left.
func driftedItem(src *v1alpha1.GitSource, d v1alpha1.DriftedObject, t *touched) (DriftedItem, bool) {
	var paths []string
	for _, p := range d.Paths {
		if !slices.ContainsFunc(t.paths, func(q string) bool { return covers(q, p) }) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 && (len(d.Paths) > 0 || explained(d.Status, t.ops)) {
		return DriftedItem{}, false
	}
	slices.Sort(paths)
	managers := slices.Clone(d.Managers)
	slices.Sort(managers)
	return DriftedItem{
		Object: t.object, GitSource: src.Name, Revision: src.Status.Revision, Stale: src.Status.Stale,
		Status: d.Status, Paths: nonNil(paths), Managers: nonNil(slices.Compact(managers)), FirstSeen: utc(d.FirstSeen.Time),
	}, true
}

// covers reports whether an edit's path covers a drifted path: the same field, or one inside
// the other.
func covers(edit, drift string) bool {
	return edit == drift || nested(edit, drift) || nested(drift, edit)
}

func nested(outer, inner string) bool {
	return strings.HasPrefix(inner, outer) && len(inner) > len(outer) && (inner[len(outer)] == '.' || inner[len(outer)] == '[')
}

// explained reports whether a whole-object status is the ticket's own doing: an object missing
// after a DELETE, or orphaned after a CREATE.
func explained(status string, ops []string) bool {
	return (status == "missing" && slices.Contains(ops, "DELETE")) || (status == "orphaned" && slices.Contains(ops, "CREATE"))
}

func sortItems(items []DriftedItem) {
	slices.SortFunc(items, func(a, b DriftedItem) int {
		return cmp.Or(
			cmp.Compare(a.Object.Kind, b.Object.Kind),
			cmp.Compare(a.Object.Namespace, b.Object.Namespace),
			cmp.Compare(a.Object.Name, b.Object.Name),
			cmp.Compare(a.GitSource, b.GitSource),
		)
	})
}

// sourceNotes are notes on Git sources whose view of drift is incomplete.
func sourceNotes(in Input, edits []Edit) []string {
	if in.SourcesUnavailable != "" || len(in.Sources) == 0 {
		return nil
	}
	relevant := map[string]bool{}
	for _, e := range edits {
		relevant[e.Backport.GitSource] = true
	}
	var notes []string
	for _, src := range in.Sources {
		if src.Status.Stale && (relevant[src.Name] || definesAny(&src, edits)) {
			notes = append(notes, "GitSource "+src.Name+" is stale (Git could not be fetched or rendered): its drift is the last known result")
		}
		if src.Status.DriftedObjectsTruncated {
			notes = append(notes, "GitSource "+src.Name+" lists only the first drifted objects: other drift may be incomplete")
		}
	}
	return notes
}

// definesAny reports whether src lists drift on any edited object.
func definesAny(src *v1alpha1.GitSource, edits []Edit) bool {
	objs := touchedObjects(edits)
	return slices.ContainsFunc(src.Status.DriftedObjects, func(d v1alpha1.DriftedObject) bool {
		_, ok := objs[keyOf(d.APIVersion, d.Kind, d.Namespace, d.Name)]
		return ok
	})
}
