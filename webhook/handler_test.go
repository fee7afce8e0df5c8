package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

// offlineWebhook is the real HTTP handler over an offline decider (no grants, enforce mode).
func offlineWebhook(tb testing.TB) http.Handler {
	tb.Helper()
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	h := &webhook.Handler{
		Decider: webhook.Offline(engine, cfg, clientgoscheme.Scheme, nil, config.ModeEnforce, nil, time.Now()),
		Exempt:  cfg.Exempt,
		Log:     logr.Discard(),
	}
	return h
}

// post sends body and returns the AdmissionResponse; it fails the test when the HTTP answer is
// not an AdmissionReview the API server could read.
func post(tb testing.TB, h http.Handler, contentType string, body []byte) *admissionv1.AdmissionResponse {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		tb.Fatalf("HTTP %d for %q", rec.Code, body)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		tb.Fatalf("answer is not an AdmissionReview (%v): %s", err, rec.Body.String())
	}
	return review.Response
}

func reviewJSON(request string) []byte {
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":` + request + `}`)
}

func TestBadInputIsRefusedWithAReason(t *testing.T) {
	const head = `{"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},` +
		`"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"prod","name":"x",` +
		`"userInfo":{"username":"alice"},`
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantCode    int32
		wantReason  string
	}{
		{"empty body", "application/json", nil, http.StatusBadRequest, "request body is empty"},
		{"not JSON", "application/json", []byte("this is not json"), http.StatusBadRequest, ""},
		{"wrong content type", "text/plain", reviewJSON(head + `"operation":"UPDATE"}`), http.StatusBadRequest, `content type "text/plain"`},
		{"no request", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`),
			http.StatusBadRequest, "has no request"},
		{"object is a string", "application/json", reviewJSON(head + `"operation":"CREATE","object":"oops"}`),
			http.StatusBadRequest, "request.object is not a JSON object"},
		{"object is a list", "application/json", reviewJSON(head + `"operation":"CREATE","object":[1,2]}`),
			http.StatusBadRequest, "request.object is not a JSON object"},
		{"oldObject is a number", "application/json", reviewJSON(head + `"operation":"UPDATE","object":{},"oldObject":7}`),
			http.StatusBadRequest, "request.oldObject is not a JSON object"},
		{"larger than 7 MiB", "application/json", reviewJSON(head + `"operation":"CREATE","object":{"a":"` +
			strings.Repeat("x", 7<<20) + `"}}`), http.StatusBadRequest, "larger than 7 MiB"},
		{"no object at all", "application/json", reviewJSON(head + `"operation":"UPDATE"}`),
			http.StatusForbidden, "has neither object nor oldObject"},
		{"scale without a parent", "application/json", reviewJSON(head + `"subResource":"scale","operation":"UPDATE",` +
			`"object":{"spec":{"replicas":3}},"oldObject":{"spec":{"replicas":2}}}`),
			http.StatusForbidden, "owned by an owner driftgate cannot tell"},
	}
	h := offlineWebhook(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, h, tt.contentType, tt.body)
			if resp.Allowed {
				t.Fatalf("allowed, want refused")
			}
			if resp.Result == nil || resp.Result.Message == "" {
				t.Fatalf("refused without a reason: %+v", resp.Result)
			}
			if resp.Result.Code != tt.wantCode {
				t.Errorf("code = %d, want %d (%s)", resp.Result.Code, tt.wantCode, resp.Result.Message)
			}
			if !strings.Contains(resp.Result.Message, tt.wantReason) {
				t.Errorf("reason %q does not say %q", resp.Result.Message, tt.wantReason)
			}
		})
	}
}

// TestUnannouncedLargeBody: a body larger than the limit is refused also when its size is not
// announced (chunked), by reading at most one byte past the limit.
func TestUnannouncedLargeBody(t *testing.T) {
	body := reviewJSON(`{"uid":"u1","operation":"CREATE","object":{"a":"` + strings.Repeat("x", 7<<20) + `"}}`)
	req := httptest.NewRequest(http.MethodPost, webhook.Path, io.NopCloser(bytes.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	offlineWebhook(t).ServeHTTP(rec, req)
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		t.Fatalf("answer is not an AdmissionReview (%v): %.200s", err, rec.Body.String())
	}
	if r := review.Response; r.Allowed || r.Result == nil || !strings.Contains(r.Result.Message, "larger than 7 MiB") {
		t.Errorf("answer %+v, want a refusal saying the body is larger than 7 MiB", r.Result)
	}
}

// TestScaleOfUnreadableParent: when driftgate cannot read a /scale parent (a custom resource it
// has no RBAC for), controllers such as the HPA still scale; people are denied.
func TestScaleOfUnreadableParent(t *testing.T) {
	h := offlineWebhook(t)
	for user, want := range map[string]bool{
		"system:serviceaccount:kube-system:horizontal-pod-autoscaler": true,
		"alice": false,
	} {
		body := reviewJSON(`{"uid":"u1","kind":{"group":"autoscaling","version":"v1","kind":"Scale"},` +
			`"resource":{"group":"argoproj.io","version":"v1alpha1","resource":"rollouts"},"subResource":"scale",` +
			`"namespace":"prod","name":"web","operation":"UPDATE","userInfo":{"username":"` + user + `",` +
			`"extra":{"authentication.kubernetes.io/credential-id":["JTI=1"]}},` +
			`"object":{"spec":{"replicas":3}},"oldObject":{"spec":{"replicas":2}}}`)
		if got := post(t, h, "application/json", body); got.Allowed != want {
			t.Errorf("%s scaling a rollout driftgate cannot read: allowed = %v, want %v (%s)", user, got.Allowed, want, got.Result.Message)
		}
	}
}

// TestPanicIsADenial: a panic anywhere below the handler answers with a refusal, never an allowance.
func TestPanicIsADenial(t *testing.T) {
	h := &webhook.Handler{Decider: &webhook.Decider{}, Exempt: func(string) bool { return false }, Log: logr.Discard()}
	resp := post(t, h, "application/json", reviewJSON(`{"uid":"u1","operation":"UPDATE","namespace":"prod",`+
		`"userInfo":{"username":"alice"},"object":{},"oldObject":{}}`))
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusInternalServerError {
		t.Fatalf("panicking decider answered %+v, want a 500-coded refusal", resp)
	}
	if string(resp.UID) != "u1" {
		t.Errorf("uid = %q, want the request's", resp.UID)
	}
}

func FuzzHandler(f *testing.F) {
	owned := `{"metadata":{"name":"x","annotations":{"argocd.argoproj.io/tracking-id":"a:apps/Deployment:prod/x"}},"spec":{"replicas":1}}`
	for _, seed := range []string{
		"",
		"{}",
		"null",
		string(reviewJSON(`null`)),
		string(reviewJSON(`{"uid":"u","operation":"UPDATE","userInfo":{"username":"alice"},"object":` + owned + `,"oldObject":` + owned + `}`)),
		string(reviewJSON(`{"uid":"u","operation":"DELETE","namespace":"kube-system","oldObject":{}}`)),
		string(reviewJSON(`{"uid":"u","operation":"CREATE","subResource":"scale","object":{"spec":[]}}`)),
		string(reviewJSON(`{"uid":"u","operation":"UPDATE","object":{"metadata":{"labels":[]}},"oldObject":{"metadata":7}}`)),
	} {
		f.Add([]byte(seed))
	}
	h := offlineWebhook(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := post(t, h, "application/json", body)
		if !resp.Allowed && (resp.Result == nil || resp.Result.Message == "") {
			t.Fatalf("refused without a reason for %q", body)
		}
	})
}
