package report

import "github.com/driftgate/driftgate/api/v1alpha1"

// isSecret reports whether an edit wrote a core Secret.
func isSecret(o v1alpha1.ObjectReference) bool {
	return (o.Kind == "Secret" && (o.APIVersion == "v1" || o.APIVersion == "")) || o.Resource == "secrets"
}
