// Package v1alpha1 holds the driftgate.io/v1alpha1 API: break-glass grants and the records of
// writes made under them.
//
// +kubebuilder:object:generate=true
// +groupName=driftgate.io
package v1alpha1
