package audit

import (
	"encoding/json"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// EditOf is the edit a BreakGlassEdit records, its values decoded.
func EditOf(e *v1alpha1.BreakGlassEdit) Edit {
	out := Edit{Operation: e.Spec.Operation}
	for _, c := range e.Spec.Changes {
		out.Changes = append(out.Changes, EditChange{Path: c.Path, Old: decode(c.Old), New: decode(c.New)})
	}
	return out
}

func decode(v *apiextensionsv1.JSON) any {
	if v == nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(v.Raw, &out); err != nil {
		return nil
	}
	return out
}
