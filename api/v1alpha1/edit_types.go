package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BackportState is whether Git has caught up with a break-glass edit.
// +kubebuilder:validation:Enum=Required;Backported;Reverted;NotApplied
type BackportState string

const (
	// BackportRequired: the live change is not in Git yet.
	BackportRequired BackportState = "Required"
	// Backported: Git now matches the live change.
	Backported BackportState = "Backported"
	// Reverted: the live object matches Git again.
	Reverted BackportState = "Reverted"
	// NotApplied: the write was recorded but never landed (refused after driftgate admitted it,
	// a conflict, or a review no API server sent): the object is as the write found it.
	NotApplied BackportState = "NotApplied"
)

// ObjectReference names the object an edit wrote.
type ObjectReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Resource is the resource.group the request was made on ("deployments.apps").
	Resource string `json:"resource"`
	// +optional
	Subresource string `json:"subresource,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// +optional
	UID string `json:"uid,omitempty"`
	// ResourceVersion is the object's version the write replaced (an update's or delete's
	// oldObject): while the object still has it, the write has not landed.
	// +optional
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// FieldChange is one changed field path (SPEC notation) with its old and new values; null on
// the side where the field is absent. Secret values read "(sensitive)".
type FieldChange struct {
	Path string `json:"path"`
	// +optional
	Old *apiextensionsv1.JSON `json:"old,omitempty"`
	// +optional
	New *apiextensionsv1.JSON `json:"new,omitempty"`
}

// BreakGlassEditSpec is what was written, by whom, under which grant. It never changes.
type BreakGlassEditSpec struct {
	// Grant is the break-glass grant the write was made under; empty for a write let through by
	// warn mode without a grant.
	// +optional
	Grant string `json:"grant,omitempty"`
	// +optional
	Ticket string `json:"ticket,omitempty"`
	// User is the authenticated user of the request.
	User string `json:"user"`
	// Time is when driftgate admitted the write.
	Time metav1.Time `json:"time"`
	// Operation is CREATE, UPDATE or DELETE.
	Operation string          `json:"operation"`
	Object    ObjectReference `json:"object"`
	// RequestUID is the admission request's UID.
	RequestUID string `json:"requestUID"`
	// Mode is the admission mode the write was admitted in.
	// +optional
	Mode string `json:"mode,omitempty"`
	// Changes of an update; empty for a create or delete.
	// +optional
	Changes []FieldChange `json:"changes,omitempty"`
	// ChangesTruncated is set when only the first changes (or shortened values) are kept.
	// +optional
	ChangesTruncated bool `json:"changesTruncated,omitempty"`
}

// BreakGlassEditStatus is where the edit stands against Git.
type BreakGlassEditStatus struct {
	// +kubebuilder:default=Required
	// +optional
	Backport BackportState `json:"backport,omitempty"`
	// Revision is the Git revision that resolved the edit.
	// +optional
	Revision string `json:"revision,omitempty"`
	// +optional
	ResolvedAt *metav1.Time `json:"resolvedAt,omitempty"`
	// GitSource is the GitSource whose manifests define the object, as of the last audit.
	// +optional
	GitSource string `json:"gitSource,omitempty"`
	// File is the file in Git (relative to the repository) that defines the object, where a
	// backport goes.
	// +optional
	File string `json:"file,omitempty"`
	// OpenPaths are the edit's paths where live and Git still differ (empty once resolved).
	// +optional
	OpenPaths []string `json:"openPaths,omitempty"`
	// RevertedBy is who put Git's values back at the edit's paths, once it is Reverted (absent
	// when nobody can be told: no record of the write and no owner of the fields).
	// +optional
	RevertedBy *Reverter `json:"revertedBy,omitempty"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Reverter is who put Git's values back over an edit: a person's write driftgate recorded, or a
// field manager that owns the edited fields now (a GitOps controller's self-heal).
type Reverter struct {
	// FieldManager owns the edited fields in the object's managedFields ("kustomize-controller").
	// +optional
	FieldManager string `json:"fieldManager,omitempty"`
	// User made the write, when driftgate recorded it (Edit).
	// +optional
	User string `json:"user,omitempty"`
	// Edit is the BreakGlassEdit that recorded the write putting Git's values back.
	// +optional
	Edit string `json:"edit,omitempty"`
	// GitOps is true when a GitOps controller put them back (its self-heal undid the fix), not a
	// person.
	GitOps bool `json:"gitOps"`
	// Time is when the write was made: the record's time, or the field manager's last write.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// BreakGlassEdit records one write to a GitOps-owned object made outside GitOps: under a
// break-glass grant, or let through by warn mode. driftgate creates it before the write is
// admitted; the audit loop resolves its backport state.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=bge
// +kubebuilder:printcolumn:name="Ticket",type=string,JSONPath=`.spec.ticket`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Object",type=string,JSONPath=`.metadata.annotations.driftgate\.io/object`
// +kubebuilder:printcolumn:name="Backport",type=string,JSONPath=`.status.backport`
// +kubebuilder:printcolumn:name="Self-Heal",type=string,JSONPath=`.status.conditions[?(@.type=="SelfHealProtected")].reason`
// +kubebuilder:printcolumn:name="Reverted-By",type=string,JSONPath=`.status.revertedBy.fieldManager`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BreakGlassEdit struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec BreakGlassEditSpec `json:"spec"`
	// +kubebuilder:default={backport: Required}
	Status BreakGlassEditStatus `json:"status,omitempty"`
}

// BreakGlassEditList is a list of edits.
// +kubebuilder:object:root=true
type BreakGlassEditList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BreakGlassEdit `json:"items"`
}

// SelfHealProtected is the edits' condition saying whether the GitOps controller is kept from
// undoing the edit (package protect sets it, with its reasons).
const SelfHealProtected = "SelfHealProtected"

// SelfHealHeld is SelfHealProtected's reason while driftgate holds the GitOps controller's pause
// switch on the object for the edit.
const SelfHealHeld = "Held"

// BackportTracked is the edits' condition saying whether the audit decides their backport state:
// False with reason SkippedInGit when Git marks the object driftgate.io/skip: "true". Such an
// edit stays Required (nothing decides it) until a person does.
const BackportTracked = "BackportTracked"

// SkippedInGit is BackportTracked's reason while Git marks the edit's object driftgate.io/skip.
const SkippedInGit = "SkippedInGit"

// SkippedInGit is the message of the edit's BackportTracked condition while Git marks its object
// driftgate.io/skip (the audit does not decide it); "" otherwise.
func (e *BreakGlassEdit) SkippedInGit() string {
	for _, c := range e.Status.Conditions {
		if c.Type == BackportTracked && c.Status == metav1.ConditionFalse && c.Reason == SkippedInGit {
			return c.Message
		}
	}
	return ""
}

// ObjectAnnotation holds "kind namespace/name" of the edited object, for the OBJECT column.
const ObjectAnnotation = "driftgate.io/object"

// Label keys on edits, for selecting them by grant or ticket when the value is a valid label.
const (
	GrantLabel  = "driftgate.io/grant"
	TicketLabel = "driftgate.io/ticket"
)

// Open reports whether the edit is still Required (a record the audit has not judged yet reads
// Required too).
func (e *BreakGlassEdit) Open() bool {
	return e.Status.Backport == "" || e.Status.Backport == BackportRequired
}

// String says who reverted, for logs and text: "kustomize-controller (GitOps)",
// "alice (kubectl-set)", "alice"; "" for nil.
func (r *Reverter) String() string {
	switch {
	case r == nil:
		return ""
	case r.User != "" && r.FieldManager != "":
		return r.User + " (" + r.FieldManager + ")"
	case r.User != "":
		return r.User
	case r.GitOps:
		return r.FieldManager + " (GitOps)"
	}
	return r.FieldManager
}
