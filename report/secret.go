package report

import (
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// Sensitive is what a report shows for a Secret value.
const Sensitive = "(sensitive)"

// isSecret reports whether an edit wrote a core Secret.
func isSecret(o v1alpha1.ObjectReference) bool {
	return (o.Kind == "Secret" && (o.APIVersion == "v1" || o.APIVersion == "")) || o.Resource == "secrets"
}

// sensitivePath reports the paths of a Secret that hold or reveal its values: data, stringData
// and the last-applied annotation (which holds a copy of them). The recorder masks them already;
// the report masks them again so that nothing else is ever shown.
func sensitivePath(path string) bool {
	return strings.HasPrefix(path, "data") || strings.HasPrefix(path, "stringData") ||
		strings.HasPrefix(path, `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`) ||
		path == "metadata.annotations" || path == "metadata"
}
