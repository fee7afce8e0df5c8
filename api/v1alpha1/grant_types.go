package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GrantPhase is where a grant is in its life.
// +kubebuilder:validation:Enum=Pending;Active;Expired;Revoked;Denied
type GrantPhase string

const (
	GrantPending GrantPhase = "Pending"
	GrantActive  GrantPhase = "Active"
	GrantExpired GrantPhase = "Expired"
	GrantRevoked GrantPhase = "Revoked"
	GrantDenied  GrantPhase = "Denied"
)

// GrantScope is what a grant lets its requester write.
type GrantScope struct {
	// Namespaces the grant covers.
	// +kubebuilder:validation:MinItems=1
	Namespaces []string `json:"namespaces"`
	// Resources the grant covers, as resource.group ("deployments.apps"; "configmaps" for core).
	// +kubebuilder:validation:MinItems=1
	Resources []string `json:"resources"`
}

// Approval is one approver's consent.
type Approval struct {
	User string      `json:"user"`
	Time metav1.Time `json:"time"`
	// +optional
	Comment string `json:"comment,omitempty"`
}

// Denial is an approver's refusal of a pending grant.
type Denial struct {
	User   string      `json:"user"`
	Time   metav1.Time `json:"time"`
	Reason string      `json:"reason"`
}

// BreakGlassGrantSpec is the request.
type BreakGlassGrantSpec struct {
	// Requester is the user the grant is for; it must be the authenticated creator.
	Requester string `json:"requester"`
	// Reason says why the write is needed.
	// +kubebuilder:validation:MinLength=1
	Reason string `json:"reason"`
	// Ticket is the incident the grant belongs to.
	// +kubebuilder:validation:MinLength=1
	Ticket string     `json:"ticket"`
	Scope  GrantScope `json:"scope"`
	// Duration is how long the grant is active once approved.
	Duration metav1.Duration `json:"duration"`
	// +optional
	Approvals []Approval `json:"approvals,omitempty"`
	// +optional
	Denial *Denial `json:"denial,omitempty"`
	// Revocation ends a pending or active grant early.
	// +optional
	Revocation *Revocation `json:"revocation,omitempty"`
}

// Revocation says who ended a grant early: its requester, an approver or an admin.
type Revocation struct {
	User string      `json:"user"`
	Time metav1.Time `json:"time"`
	// +optional
	Reason string `json:"reason,omitempty"`
}

// BreakGlassGrantStatus is what driftgate observed and decided.
type BreakGlassGrantStatus struct {
	// +optional
	Phase GrantPhase `json:"phase,omitempty"`
	// +optional
	ActivatedAt *metav1.Time `json:"activatedAt,omitempty"`
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BreakGlassGrant lets one person write GitOps-owned objects in a scope, for a bounded time,
// once approved.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=bgg
// +kubebuilder:printcolumn:name="Requester",type=string,JSONPath=`.spec.requester`
// +kubebuilder:printcolumn:name="Ticket",type=string,JSONPath=`.spec.ticket`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.expiresAt`,description="When the grant stops allowing writes, as an RFC 3339 time (a date column would show a time ahead as <invalid>)"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BreakGlassGrant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BreakGlassGrantSpec   `json:"spec"`
	Status BreakGlassGrantStatus `json:"status,omitempty"`
}

// BreakGlassGrantList is a list of grants.
// +kubebuilder:object:root=true
type BreakGlassGrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BreakGlassGrant `json:"items"`
}

// Terminal reports whether p is a phase a grant never leaves.
func (p GrantPhase) Terminal() bool {
	return p == GrantExpired || p == GrantRevoked || p == GrantDenied
}

// ConditionActive is the grant condition that is True while the grant allows writes.
const ConditionActive = "Active"
