package audit

import (
	"cmp"
	"slices"
)

// SkipAnnotation on an object in Git ("true") leaves the object out of the audit altogether: it
// is not diffed, and never reported missing or orphaned; reports list it as skipped (seed 001's
// per-object control). The live copy of the annotation is not read, so nobody hides an object
// from the audit by annotating it live.
const SkipAnnotation = "driftgate.io/skip"

// Skipped reports whether the object, as Git has it, asks not to be audited.
func Skipped(desired Object) bool {
	return str(desired.Annotations()[SkipAnnotation]) == "true"
}

// Skip is the status of an object that Git marks with SkipAnnotation, in Report.Skipped.
const Skip Status = "skipped"

func sortReports(objs []ObjectReport) {
	slices.SortFunc(objs, func(a, b ObjectReport) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}
