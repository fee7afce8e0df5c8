package webhook

import (
	stdjson "encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"

	json "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/driftgate/driftgate/internal/jsonpair"
)

const errNoRequest = constError("the AdmissionReview has no request (or no request.uid/operation)")

// readReview reads the AdmissionReview in the body: its apiVersion and its request, decoded.
// The body is scanned once; the typed fields are decoded from it without the objects (a tenth of
// it), and the objects from the scan, the new one sharing with the old one.
func (h *Handler) readReview(r *http.Request) (string, *Request, error) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return "", nil, fmt.Errorf("content type %q: want application/json", r.Header.Get("Content-Type"))
	}
	buf, err := h.readBody(r)
	if err != nil {
		return "", nil, err
	}
	defer h.putBody(buf)
	body := buf.Bytes()
	doc, err := h.objects.Scan(body)
	if err != nil {
		return "", nil, explain(body, err)
	}
	defer h.objects.Release(doc)
	oldV, newV, err := objectsOf(doc)
	if err != nil {
		return "", nil, err
	}
	var rev review
	if err := json.Unmarshal(withoutValues(body, oldV, newV), &rev); err != nil {
		return "", nil, explain(body, err)
	}
	if rev.Request == nil || rev.Request.UID == "" || rev.Request.Operation == "" {
		return "", nil, errNoRequest
	}
	old, new, err := jsonpair.DecodeValues(oldV, newV)
	if err != nil {
		return "", nil, objectError(err)
	}
	return rev.APIVersion, withObjects(rev.Request, old, new), nil
}

// objectsOf finds request.oldObject and request.object. A review that spells those keys (or
// "request") in two ways, or gives one twice, is refused: the decoder of the typed fields would
// take one of them and these another.
func objectsOf(doc *jsonpair.Document) (old, new jsonpair.Value, err error) {
	request, err := doc.Root().Only("request")
	if err == nil {
		old, err = request.Only("oldObject")
	}
	if err == nil {
		new, err = request.Only("object")
	}
	if err != nil {
		return old, new, fmt.Errorf("not an AdmissionReview the API server sends: %w", err)
	}
	return old, new, nil
}

// withoutValues is a copy of body with the given values replaced by null.
func withoutValues(body []byte, values ...jsonpair.Value) []byte {
	type span struct{ start, end int }
	spans := make([]span, 0, len(values))
	size := len(body)
	for _, v := range values {
		if start, end := v.Span(); end > start {
			spans = append(spans, span{start, end})
			size -= end - start - len("null")
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := make([]byte, 0, size)
	at := 0
	for _, s := range spans {
		out = append(append(out, body[at:s.start]...), "null"...)
		at = s.end
	}
	return append(out, body[at:]...)
}

// explain finds what is wrong with a body the fast decoder refused, by decoding it the slow way.
func explain(body []byte, fast error) error {
	var typed admissionv1.AdmissionReview
	if err := stdjson.Unmarshal(body, &typed); err != nil {
		return fmt.Errorf("not an AdmissionReview: %w", err)
	}
	if typed.Request != nil {
		if _, err := RequestFrom(typed.Request); err != nil {
			return err
		}
	}
	return fmt.Errorf("not an AdmissionReview: %w", fast)
}
