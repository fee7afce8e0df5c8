package webhook

import (
	stdjson "encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/driftgate/driftgate/test/loadgen"
)

// TestReadReviewDecodesAsTheTypedRequest: the handler's one-scan reading of a review gives the
// request that decoding the whole AdmissionReview does, whatever the order, spacing or spelling of
// its keys.
func TestReadReviewDecodesAsTheTypedRequest(t *testing.T) {
	const request = `"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},` +
		`"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"prod","name":"web",` +
		`"operation":"UPDATE","userInfo":{"username":"alice","groups":["devs"]}`
	const old = `{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2}}`
	const new = `{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":3}}`
	tests := map[string]string{
		"load tool's review": string(loadgen.UpdateReview("u1", "alice")),
		"objects first":      `{"apiVersion":"admission.k8s.io/v1","request":{"oldObject":` + old + `,"object":` + new + `,` + request + `}}`,
		"objects last":       `{"request":{` + request + `,"object":` + new + `,"oldObject":` + old + `},"kind":"AdmissionReview"}`,
		"spaced":             "{ \"request\" : {\n" + request + ",\n \"object\" : " + new + " ,\"oldObject\": null } }",
		"escaped keys":       `{"request":{` + request + `,"\u006fbject":` + new + `,"old\u004fbject":` + old + `}}`,
		"create":             `{"request":{` + strings.Replace(request, "UPDATE", "CREATE", 1) + `,"object":` + new + `}}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			var typed admissionv1.AdmissionReview
			if err := stdjson.Unmarshal([]byte(body), &typed); err != nil {
				t.Fatal(err)
			}
			want, err := RequestFrom(typed.Request)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			var h Handler
			_, got, err := h.readReview(r)
			if err != nil {
				t.Fatalf("readReview: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("readReview differs from the typed decoding (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReviewsTheDecodersCouldReadTwoWaysAreRefused: a key of the objects' path given twice or in
// other letter cases would let the typed fields come from one member and the objects from another.
func TestReviewsTheDecodersCouldReadTwoWaysAreRefused(t *testing.T) {
	const request = `"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},` +
		`"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"prod","name":"web",` +
		`"operation":"UPDATE","userInfo":{"username":"alice"},"oldObject":{}`
	for name, body := range map[string]string{
		"object twice, the first invalid": `{"request":{` + request + `,"object":{"a":tru},"object":{"b":1}}}`,
		"request in other cases":          `{"Request":{` + request + `,"object":{}}}`,
		"request twice":                   `{"request":{` + request + `,"object":{}},"request":{"namespace":"prod"}}`,
		"oldObject in other cases":        `{"request":{` + request + `,"object":{},"OldObject":{}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			var h Handler
			if _, got, err := h.readReview(r); err == nil {
				t.Fatalf("readReview = %+v, want an error", got)
			}
		})
	}
}
