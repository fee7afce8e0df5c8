package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of driftgate's resources.
var GroupVersion = schema.GroupVersion{Group: "driftgate.io", Version: "v1alpha1"}

// AddToScheme registers driftgate's types with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &BreakGlassGrant{}, &BreakGlassGrantList{}, &BreakGlassEdit{}, &BreakGlassEditList{},
		&GitSource{}, &GitSourceList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
