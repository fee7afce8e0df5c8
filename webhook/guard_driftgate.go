package webhook

import (
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
)

// isDriftgateResource reports requests for driftgate's own resources (grants and edit records),
// which the break-glass rules decide instead of the ownership policy.
func isDriftgateResource(req *Request) bool {
	return req.Resource.Group == v1alpha1.GroupVersion.Group
}

// answerDriftgate applies the break-glass rules to a write to a grant or an edit record.
func (h *Handler) answerDriftgate(req *Request) *admissionv1.AdmissionResponse {
	if h.Rules == nil {
		return refuse(http.StatusForbidden, "driftgate: break-glass rules are not configured; denied")
	}
	err := h.checkDriftgate(req)
	if err != nil {
		h.Log.Info("break-glass rule refused a write", h.requestKeys(req, false, err.Error())...)
		return refuse(http.StatusForbidden, "driftgate: "+err.Error())
	}
	return &admissionv1.AdmissionResponse{Allowed: true}
}

func (h *Handler) checkDriftgate(req *Request) error {
	w := breakglass.Writer{User: req.UserInfo.Username, Groups: req.UserInfo.Groups, Credential: CredentialOf(req.UserInfo)}
	op := breakglass.Operation(req.Operation)
	switch req.Resource.Resource {
	case "breakglassgrants":
		var old, obj *v1alpha1.BreakGlassGrant
		if err := typed(req.OldObject, &old); err != nil {
			return err
		}
		if err := typed(req.Object, &obj); err != nil {
			return err
		}
		if (op != breakglass.Create && old == nil) || (op != breakglass.Delete && obj == nil) {
			return fmt.Errorf("%s of a break-glass grant without the object", op)
		}
		return h.Rules.CheckGrant(op, req.SubResource, w, old, obj)
	case "breakglassedits":
		var old *v1alpha1.BreakGlassEdit
		if err := typed(req.OldObject, &old); err != nil {
			return err
		}
		return h.Rules.CheckEdit(op, w, old)
	}
	return nil
}

// typed converts a decoded object to *T; nil stays nil.
func typed[T any](content map[string]any, out **T) error {
	if content == nil {
		return nil
	}
	*out = new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(content, *out); err != nil {
		return fmt.Errorf("the object is not a valid %T: %w", *out, err)
	}
	return nil
}
