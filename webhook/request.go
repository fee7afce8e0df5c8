package webhook

import (
	"fmt"

	json "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Request is an AdmissionRequest with its objects decoded. Decoding the review straight into it
// reads the body once: the outer Object and OldObject shadow the embedded raw ones.
type Request struct {
	admissionv1.AdmissionRequest
	Object    map[string]any `json:"object"`
	OldObject map[string]any `json:"oldObject"`
}

// review is an AdmissionReview as decoded by the handler.
type review struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Request    *Request `json:"request"`
}

// RequestFrom decodes the objects of a typed AdmissionRequest (offline evaluation, fixtures).
func RequestFrom(ar *admissionv1.AdmissionRequest) (*Request, error) {
	r := &Request{AdmissionRequest: *ar}
	var err error
	if r.Object, err = decodeRaw(ar.Object, "object"); err != nil {
		return nil, err
	}
	if r.OldObject, err = decodeRaw(ar.OldObject, "oldObject"); err != nil {
		return nil, err
	}
	r.AdmissionRequest.Object, r.AdmissionRequest.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	return r, nil
}

func decodeRaw(raw runtime.RawExtension, which string) (map[string]any, error) {
	if len(raw.Raw) == 0 || string(raw.Raw) == "null" {
		return nil, nil
	}
	var content map[string]any
	if err := json.Unmarshal(raw.Raw, &content); err != nil {
		return nil, fmt.Errorf("request.%s is not a JSON object: %w", which, err)
	}
	return content, nil
}
