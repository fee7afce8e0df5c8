package audit

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// RevertedBy is who put Git's values back over the Reverted edit e: the person whose later
// write, recorded in all, restored what e replaced (at one of its paths, or by deleting what it
// created, or creating what it deleted); else the field manager that wrote the edited fields
// last, marked GitOps when it is a GitOps controller's (its self-heal undid the fix). Nil when
// neither can be told (live is nil when the object is gone).
func (d *Differ) RevertedBy(e *v1alpha1.BreakGlassEdit, all []v1alpha1.BreakGlassEdit, live *Object) *v1alpha1.Reverter {
	var writer *FieldWriter
	if live != nil {
		paths := make([]string, 0, len(e.Spec.Changes))
		for _, c := range e.Spec.Changes {
			paths = append(paths, c.Path)
		}
		if ws := d.Writers(*live, paths); len(ws) > 0 {
			writer = &ws[0]
		}
	}
	if later := laterRevert(e, all); later != nil {
		by := &v1alpha1.Reverter{User: later.Spec.User, Edit: later.Name, Time: later.Spec.Time.DeepCopy()}
		if writer != nil && !writer.GitOps {
			by.FieldManager = writer.Manager
		}
		return by
	}
	if writer == nil {
		return nil
	}
	by := &v1alpha1.Reverter{FieldManager: writer.Manager, GitOps: writer.GitOps}
	if !writer.Time.IsZero() {
		t := metav1.NewTime(writer.Time)
		by.Time = &t
	}
	return by
}

// retryWindow bounds how long after a write the API server's retry of it is recorded.
const retryWindow = 5 * time.Second

// RetriedAs is the record of the API server's retry of e's write, or nil. The API server
// retries a patch that met a conflict (driftgate's own self-heal protection writing the same
// object, say) and calls the webhook again, so one write can leave two records: the same user,
// grant, object, operation and changes, the retry a moment later and replacing a newer version of
// the object. The first never landed as itself.
func RetriedAs(e *v1alpha1.BreakGlassEdit, all []v1alpha1.BreakGlassEdit) *v1alpha1.BreakGlassEdit {
	for i := range all {
		o := &all[i]
		if o.Name == e.Name || !sameObject(o.Spec.Object, e.Spec.Object) || o.Spec.User != e.Spec.User ||
			o.Spec.Grant != e.Spec.Grant || o.Spec.Operation != e.Spec.Operation || !after(o, e) ||
			o.Spec.Time.Sub(e.Spec.Time.Time) > retryWindow || len(e.Spec.Changes) == 0 ||
			!equality.Semantic.DeepEqual(o.Spec.Changes, e.Spec.Changes) {
			continue
		}
		return o
	}
	return nil
}

// laterRevert is the latest recorded write after e to the same object that undid it, or nil.
func laterRevert(e *v1alpha1.BreakGlassEdit, all []v1alpha1.BreakGlassEdit) *v1alpha1.BreakGlassEdit {
	var found *v1alpha1.BreakGlassEdit
	for i := range all {
		o := &all[i]
		if o.Name == e.Name || !sameObject(o.Spec.Object, e.Spec.Object) || !after(o, e) || !undoes(o, e) {
			continue
		}
		if found == nil || after(o, found) {
			found = o
		}
	}
	return found
}

// after reports whether the write o came after e. Records keep their time to the second; within
// one, the object's version each write replaced orders them (the API server's versions grow).
func after(o, e *v1alpha1.BreakGlassEdit) bool {
	if !o.Spec.Time.Equal(&e.Spec.Time) {
		return e.Spec.Time.Before(&o.Spec.Time)
	}
	ov, oerr := strconv.ParseUint(o.Spec.Object.ResourceVersion, 10, 64)
	ev, eerr := strconv.ParseUint(e.Spec.Object.ResourceVersion, 10, 64)
	return oerr == nil && eerr == nil && ov > ev
}

func sameObject(a, b v1alpha1.ObjectReference) bool {
	return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// undoes reports whether the write o undid e: deleted what e created, created what e deleted, or
// wrote back the value e replaced at one of e's paths.
func undoes(o, e *v1alpha1.BreakGlassEdit) bool {
	switch e.Spec.Operation {
	case "CREATE":
		return o.Spec.Operation == "DELETE"
	case "DELETE":
		return o.Spec.Operation == "CREATE"
	}
	later := EditOf(o)
	for _, c := range EditOf(e).Changes {
		for _, lc := range later.Changes {
			if lc.Path == c.Path && c.Old != Sensitive && reflect.DeepEqual(lc.New, c.Old) {
				return true
			}
		}
	}
	return false
}

// FieldWriter is a field manager that owns an edited field of the live object.
type FieldWriter struct {
	Manager string
	// GitOps: the manager is a GitOps controller's (Options.GitOpsManagers).
	GitOps bool
	// Time is the manager's last write; zero when managedFields does not say.
	Time time.Time
}

// Writers are the field managers that own the fields at paths (SPEC notation) in the live
// object, the latest writer first: who put the values there. A path no manager owns (a field
// that is absent, or an object without managedFields) names nobody; an unreadable path is
// skipped.
func (d *Differ) Writers(live Object, paths []string) []FieldWriter {
	ms, ok := d.managers(live)
	if !ok {
		return nil
	}
	seen := map[*manager]bool{}
	for _, p := range paths {
		segs, err := fieldpath.Parse(p)
		if err != nil {
			continue
		}
		for _, o := range ownersAt(rootOwners(ms), live.Content, segs) {
			seen[o.m] = true
		}
	}
	out := make([]FieldWriter, 0, len(seen))
	for m := range seen {
		t, _ := time.Parse(time.RFC3339, m.time)
		out = append(out, FieldWriter{Manager: m.name, GitOps: m.gitops, Time: t})
	}
	slices.SortFunc(out, func(a, b FieldWriter) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Manager, b.Manager)
	})
	return out
}

// ownersAt follows segs from the object's root: the managers that own the field there (or
// something below it).
func ownersAt(own owners, content any, segs []fieldpath.Segment) owners {
	cur := content
	for _, seg := range segs {
		if len(own) == 0 {
			return nil
		}
		next, present := fieldpath.Step(cur, seg)
		key, isKey := seg.MapKey()
		i, isIndex := seg.Index()
		switch {
		case isKey:
			own = own.key(key)
		case !present:
			return nil
		case isIndex:
			own = own.index(i)
		default:
			item, _ := next.(map[string]any)
			own = own.item(item)
		}
		cur = next
	}
	return own
}
