package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GitSourceSpec says which manifests describe the cluster and how often to audit against them:
// a repository (url) or what a GitOps controller applies (sourceRef), exactly one of the two.
// +kubebuilder:validation:XValidation:rule="has(self.url) != has(self.sourceRef)",message="exactly one of url and sourceRef"
type GitSourceSpec struct {
	// URL of the repository: https://, ssh://, git@host:org/repo, file://, or a path readable by
	// driftgate (a Git work tree or a plain directory, e.g. a mounted volume).
	// +kubebuilder:validation:MinLength=1
	// +optional
	URL string `json:"url,omitempty"`
	// SourceRef names a GitOps object whose applied manifests are audited, rendered as its
	// controller renders them, at the revision it applied: a Flux Kustomization or HelmRelease, or an
	// Argo CD Application. revision, path
	// and secretRef do not apply; driftgate discovers such sources itself (config
	// audit.discover).
	// +optional
	SourceRef *GitOpsReference `json:"sourceRef,omitempty"`
	// Revision is a branch, tag or commit; empty follows the repository's default branch.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Path is the directory inside the repository to render (plain YAML or a kustomization).
	// +optional
	Path string `json:"path,omitempty"`
	// Interval is how often Git is fetched for a new revision. Live edits are re-diffed as they
	// happen, whatever the interval.
	// +kubebuilder:default="1m"
	// +optional
	Interval metav1.Duration `json:"interval,omitempty"`
	// SecretRef names a Secret with the credentials: username and password (HTTPS), or identity
	// and known_hosts (SSH), as Flux's GitRepository reads them.
	// +optional
	SecretRef *SecretReference `json:"secretRef,omitempty"`
	// DefaultNamespace is given to namespaced manifests that omit one (default "default").
	// +optional
	DefaultNamespace string `json:"defaultNamespace,omitempty"`
	// Ignore lists field paths never counted as drift on the objects each rule selects.
	// +optional
	Ignore []IgnoreRule `json:"ignore,omitempty"`
	// Suspend stops auditing; the last result stays as it was.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// GitOpsReference names a GitOps controller's object.
type GitOpsReference struct {
	// Kind of the object: Kustomization (kustomize.toolkit.fluxcd.io), HelmRelease
	// (helm.toolkit.fluxcd.io) or Application (argoproj.io).
	// +kubebuilder:validation:Enum=Kustomization;HelmRelease;Application
	Kind string `json:"kind"`
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// SourceKindKustomization is GitOpsReference.Kind for a Flux Kustomization.
const SourceKindKustomization = "Kustomization"

// SourceKindHelmRelease is GitOpsReference.Kind for a Flux HelmRelease.
const SourceKindHelmRelease = "HelmRelease"

// SourceKindApplication is GitOpsReference.Kind for an Argo CD Application.
const SourceKindApplication = "Application"

// SecretReference names a Secret; the namespace defaults to driftgate's own.
type SecretReference struct {
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// IgnoreRule skips paths on the objects it selects; an empty selector field matches any value.
type IgnoreRule struct {
	// +optional
	Group string `json:"group,omitempty"`
	// +optional
	Kind string `json:"kind,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	Name string `json:"name,omitempty"`
	// Paths in the SPEC notation; a path covers everything below it.
	// +kubebuilder:validation:MinItems=1
	Paths []string `json:"paths"`
}

// AuditCounts counts the objects of the last audit by drift status.
type AuditCounts struct {
	// +kubebuilder:default=0
	// +optional
	Objects int `json:"objects"`
	// +kubebuilder:default=0
	// +optional
	InSync int `json:"inSync"`
	// +kubebuilder:default=0
	// +optional
	Drifted int `json:"drifted"`
	// +kubebuilder:default=0
	// +optional
	Missing int `json:"missing"`
	// +kubebuilder:default=0
	// +optional
	Orphaned int `json:"orphaned"`
	// BackportRequired counts the break-glass edits of this source's objects still Required.
	// +kubebuilder:default=0
	// +optional
	BackportRequired int `json:"backportRequired"`
	// Pending counts the objects that differ from Git only where the GitOps controller has not
	// applied Git yet (its sync is failing or behind): a delivery failure, not a person's edit.
	// +kubebuilder:default=0
	// +optional
	Pending int `json:"pending"`
}

// DriftedObject is one object that is not in sync, with the paths that drifted.
type DriftedObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Status is drifted, missing, orphaned or pending (Git moved on and its GitOps controller has
	// not applied it).
	Status string `json:"status"`
	// Paths are the drifted field paths (at most 20).
	// +optional
	Paths []string `json:"paths,omitempty"`
	// Managers are the field managers that wrote the drifted values, where known.
	// +optional
	Managers []string `json:"managers,omitempty"`
	// FirstSeen is when the audit first saw the object out of sync.
	FirstSeen metav1.Time `json:"firstSeen"`
}

// GitSourceStatus is the outcome of the last audit.
type GitSourceStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// SourceKind is what the source audits: Git (a repository) or the kind of sourceRef.
	// +optional
	SourceKind string `json:"sourceKind,omitempty"`
	// Revision is the Git revision of the last audit.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Sync is the GitOps controller's own state, for a sourceRef.
	// +optional
	Sync *SyncStatus `json:"sync,omitempty"`
	// LastAuditTime is when the last audit ran, successful or not.
	// +optional
	LastAuditTime *metav1.Time `json:"lastAuditTime,omitempty"`
	// LastSuccessfulAuditTime is when the last audit against fresh Git data ran.
	// +optional
	LastSuccessfulAuditTime *metav1.Time `json:"lastSuccessfulAuditTime,omitempty"`
	// Stale is set when Git could not be fetched or rendered: the counts and objects are the last
	// known result, and nothing in them is vouched in sync.
	// +optional
	Stale bool `json:"stale,omitempty"`
	// +optional
	Counts AuditCounts `json:"counts,omitempty"`
	// DriftedObjects are the objects not in sync, oldest first, at most 100.
	// +optional
	DriftedObjects []DriftedObject `json:"driftedObjects,omitempty"`
	// DriftedObjectsTruncated is set when more objects drifted than DriftedObjects holds.
	// +optional
	DriftedObjectsTruncated bool `json:"driftedObjectsTruncated,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// SyncStatus is what a GitOps controller says of its last sync.
type SyncStatus struct {
	// AppliedRevision is the revision the controller last applied.
	// +optional
	AppliedRevision string `json:"appliedRevision,omitempty"`
	// AttemptedRevision is the revision the controller last tried to apply.
	// +optional
	AttemptedRevision string `json:"attemptedRevision,omitempty"`
	// Failing is set while the controller cannot fetch, render or apply Git: objects Git changed
	// are then pending, not drifted by a person.
	// +optional
	Failing bool `json:"failing,omitempty"`
	// NotReconciling is set when the controller has not tried the revision its source has offered
	// for three of its intervals: it is down or stalled, and what differs from Git on its objects
	// is pending, not a person's drift, until it reconciles again.
	// +optional
	NotReconciling bool `json:"notReconciling,omitempty"`
	// SpecPending is set while the controller has not applied its object's current spec yet (a
	// HelmRelease whose values changed keeps its chart's revision): what differs from Git on its
	// objects is pending, not a person's drift, until it does.
	// +optional
	SpecPending bool `json:"specPending,omitempty"`
	// Reason and Message are the controller's own, from its Ready condition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
}

// GitSource is what the cluster is audited against: a Git repository (and path), or what a GitOps
// controller applies (sourceRef).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=gs
// +kubebuilder:printcolumn:name="Source Kind",type=string,JSONPath=`.status.sourceKind`
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.revision`
// +kubebuilder:printcolumn:name="Drifted",type=integer,JSONPath=`.status.counts.drifted`
// +kubebuilder:printcolumn:name="Pending",type=integer,JSONPath=`.status.counts.pending`
// +kubebuilder:printcolumn:name="Backport",type=integer,JSONPath=`.status.counts.backportRequired`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type GitSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GitSourceSpec `json:"spec"`
	// +optional
	Status GitSourceStatus `json:"status,omitempty"`
}

// GitSourceList is a list of Git sources.
// +kubebuilder:object:root=true
type GitSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GitSource `json:"items"`
}

// Condition types and limits of a GitSource.
const (
	// ConditionReady is True when the last audit ran against fresh Git data.
	ConditionReady = "Ready"
	// ConditionSourceAvailable is True when Git was fetched and rendered.
	ConditionSourceAvailable = "SourceAvailable"
	// ConditionSynced is True when the GitOps controller of a sourceRef applied the revision its
	// source holds; False (reason SyncFailing or SyncPending) while it has not.
	ConditionSynced = "Synced"
	// ConditionStalled is True while the source's spec cannot work: nothing is fetched or
	// audited until the spec changes. It is absent otherwise.
	ConditionStalled = "Stalled"
	// MaxDriftedObjects bounds status.driftedObjects.
	MaxDriftedObjects = 100
	// MaxDriftedPaths bounds the paths listed per drifted object.
	MaxDriftedPaths = 20
)
