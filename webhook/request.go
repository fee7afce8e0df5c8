package webhook

import (
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/driftgate/driftgate/internal/jsonpair"
)

// Request is an AdmissionRequest with its objects decoded (the embedded raw ones are cleared).
// The two objects share the values they have in common: neither may be modified.
type Request struct {
	admissionv1.AdmissionRequest
	Object    map[string]any
	OldObject map[string]any
}

// review is an AdmissionReview as the handler reads it, without its objects (see readReview).
type review struct {
	APIVersion string                        `json:"apiVersion"`
	Kind       string                        `json:"kind"`
	Request    *admissionv1.AdmissionRequest `json:"request"`
}

// RequestFrom decodes the objects of an AdmissionRequest. An update's object is decoded sharing
// what it has in common with its oldObject: that is most of it, decoded and compared once.
func RequestFrom(ar *admissionv1.AdmissionRequest) (*Request, error) {
	var d jsonpair.Decoder
	old, new, err := d.Decode(ar.OldObject.Raw, ar.Object.Raw)
	if err != nil {
		return nil, objectError(err)
	}
	return withObjects(ar, old, new), nil
}

func withObjects(ar *admissionv1.AdmissionRequest, old, new map[string]any) *Request {
	r := &Request{AdmissionRequest: *ar, OldObject: old, Object: new}
	r.AdmissionRequest.Object, r.AdmissionRequest.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	return r
}

// objectError says which object of the request could not be decoded.
func objectError(err error) error {
	field, cause := "request.oldObject", err
	var e *jsonpair.Error
	if errors.As(err, &e) {
		cause = e.Err
		if e.New {
			field = "request.object"
		}
	}
	return fmt.Errorf("%s is not a JSON object: %w", field, cause)
}
