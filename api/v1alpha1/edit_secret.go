package v1alpha1

import "strings"

// Sensitive is what a BreakGlassEdit, and every report made from one, holds instead of a value
// of a Secret.
const Sensitive = "(sensitive)"

// IsSecret reports whether o is a core Secret: by kind, or by the resource the request was made
// on. The values of its SecretValuePath changes are masked.
func (o ObjectReference) IsSecret() bool {
	return (o.Kind == "Secret" && (o.APIVersion == "v1" || o.APIVersion == "")) || o.Resource == "secrets"
}

// SecretValuePath reports whether a changed path of a Secret holds or reveals its values: data,
// stringData, the last-applied-configuration annotation (which holds a copy of them), and
// metadata or its annotations changed whole (which would hold that copy). The webhook masks these
// when it records an edit; reports mask them again, so a record written otherwise shows nothing.
func SecretValuePath(path string) bool {
	return strings.HasPrefix(path, "data") || strings.HasPrefix(path, "stringData") ||
		strings.HasPrefix(path, `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`) ||
		path == "metadata.annotations" || path == "metadata"
}
