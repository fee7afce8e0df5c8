package audit

import (
	"cmp"
	"slices"
)

// Status is an object's drift status.
type Status string

// The statuses of SPEC "Drift: what counts".
const (
	InSync   Status = "in-sync"
	Drifted  Status = "drifted"
	Missing  Status = "missing"  // in Git, not live
	Orphaned Status = "orphaned" // live, GitOps-owned, not in Git
)

// Category says what kind of change a drifted field is (SPEC "Diff and audit JSON").
type Category string

// The categories of the SPEC.
const (
	Scaling             Category = "Scaling"
	VersionChange       Category = "VersionChange"
	ResourceChange      Category = "ResourceChange"
	ConfigurationChange Category = "ConfigurationChange"
	LabelChange         Category = "LabelChange"
	AnnotationChange    Category = "AnnotationChange"
	PortChange          Category = "PortChange"
	VolumeChange        Category = "VolumeChange"
	SecretChange        Category = "SecretChange"
	ConfigMapChange     Category = "ConfigMapChange"
	Other               Category = "Other"
)

// Severity ranks a drifted field.
type Severity string

// The severities of the SPEC.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Sensitive replaces Secret values in every report.
const Sensitive = "(sensitive)"

// Field is one drifted field. Desired or Live is nil where the field is absent on that side.
type Field struct {
	Path     string   `json:"path"`
	Desired  any      `json:"desired"`
	Live     any      `json:"live"`
	Category Category `json:"category"`
	Severity Severity `json:"severity"`
	// Manager is the managedFields manager that owns the live value, when known.
	Manager string `json:"manager,omitempty"`
}

// ObjectReport is the outcome for one object.
type ObjectReport struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Namespace  string  `json:"namespace,omitempty"`
	Name       string  `json:"name"`
	Status     Status  `json:"status"`
	Fields     []Field `json:"fields"`
	// Notes say what limited the comparison, e.g. a live copy without managedFields.
	Notes []string `json:"notes,omitempty"`
}

// Summary counts the objects by status and the drifted fields.
type Summary struct {
	Objects  int `json:"objects"`
	InSync   int `json:"inSync"`
	Drifted  int `json:"drifted"`
	Missing  int `json:"missing"`
	Orphaned int `json:"orphaned"`
	Fields   int `json:"fields"`
	// Skipped counts the objects Git marks driftgate.io/skip (not among Objects).
	Skipped int `json:"skipped,omitempty"`
}

// Report is the result of one diff or audit (SPEC "Diff and audit JSON").
type Report struct {
	// Revision is the Git revision audited; empty for an offline diff.
	Revision string         `json:"revision"`
	Summary  Summary        `json:"summary"`
	Objects  []ObjectReport `json:"objects"`
	// Skipped are the objects Git marks driftgate.io/skip: "true", not audited at all.
	Skipped []ObjectReport `json:"skipped,omitempty"`
}

// HasDrift reports whether any object is not in sync.
func (r *Report) HasDrift() bool {
	return r.Summary.Objects != r.Summary.InSync
}

func newReport(revision string, objects []ObjectReport) *Report {
	slices.SortFunc(objects, func(a, b ObjectReport) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	r := &Report{Revision: revision, Objects: objects}
	r.Summary.Objects = len(objects)
	for i := range objects {
		o := &objects[i]
		if o.Fields == nil {
			o.Fields = []Field{}
		}
		r.Summary.Fields += len(o.Fields)
		switch o.Status {
		case InSync:
			r.Summary.InSync++
		case Drifted:
			r.Summary.Drifted++
		case Missing:
			r.Summary.Missing++
		case Orphaned:
			r.Summary.Orphaned++
		}
	}
	return r
}
