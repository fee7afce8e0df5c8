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

// review is an AdmissionReview as the handler reads it.
type review struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Request    *wireRequest `json:"request"`
}

// wireRequest is an AdmissionRequest with its objects still encoded, as they arrive; the outer
// fields shadow the embedded ones.
type wireRequest struct {
	admissionv1.AdmissionRequest
	Object    rawJSON `json:"object"`
	OldObject rawJSON `json:"oldObject"`
}

// rawJSON keeps the bytes of a value it is decoded from without copying them: the request body
// they come from is read once and never reused, and the decoder hands over its own copy.
type rawJSON []byte

// UnmarshalJSON implements json.Unmarshaler.
func (r *rawJSON) UnmarshalJSON(data []byte) error {
	*r = data
	return nil
}

// RequestFrom decodes the objects of an AdmissionRequest.
func RequestFrom(ar *admissionv1.AdmissionRequest) (*Request, error) {
	var d jsonpair.Decoder
	return decodeObjects(&d, ar, ar.OldObject.Raw, ar.Object.Raw)
}

// decodeObjects decodes the objects of a request. An update's object is decoded sharing what it
// has in common with its oldObject: that is most of it, decoded and compared once.
func decodeObjects(d *jsonpair.Decoder, ar *admissionv1.AdmissionRequest, oldRaw, newRaw []byte) (*Request, error) {
	r := &Request{AdmissionRequest: *ar}
	r.AdmissionRequest.Object, r.AdmissionRequest.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	var err error
	if r.OldObject, r.Object, err = d.Decode(oldRaw, newRaw); err != nil {
		var e *jsonpair.Error
		if errors.As(err, &e) && e.New {
			return nil, fmt.Errorf("request.object is not a JSON object: %w", e.Err)
		}
		return nil, fmt.Errorf("request.oldObject is not a JSON object: %w", errors.Unwrap(err))
	}
	return r, nil
}
