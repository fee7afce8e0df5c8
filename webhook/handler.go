package webhook

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/jsonpair"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// Handler answers the API server's AdmissionReviews over HTTP (http.go). It decodes each review
// once, straight into the objects the decision needs (review.go), decides it here, keeps the
// record the decision asks for (handler_record.go), counts and logs it (metrics.go, log.go) and
// answers (response.go).
type Handler struct {
	Decider *Decider
	// Exempt reports namespaces that are never intercepted (also excluded by the registration).
	Exempt  func(namespace string) bool
	Log     logr.Logger
	Metrics *Metrics
	// Rules decide writes to driftgate's own resources (grants, edit records).
	Rules *breakglass.Rules
	// Recorder keeps the record of every write allowed under a grant or by warn mode; a write
	// that cannot be recorded is denied.
	Recorder Recorder
	// AnswerTimeout bounds answering one request from its arrival, the lookups and the record
	// included, so that an API server that does not answer driftgate turns into a denial
	// driftgate explains before the API server's own call times out. Zero: no bound.
	AnswerTimeout time.Duration
	// Draining reports that the process is shutting down: answers then close their connection,
	// so the API server's kept-alive connections move to another replica before this one stops.
	Draining func() bool

	objects jsonpair.Decoder // keeps its scratch space from one review for the next
	bodies  sync.Pool        // of *bytes.Buffer, each sized for the reviews seen
}

// AnswerTimeout is the bound on answering a webhook call the API server makes with
// timeoutSeconds: half a second less (a decision takes about a millisecond), at least half.
func AnswerTimeout(timeoutSeconds int32) time.Duration {
	t := time.Duration(timeoutSeconds) * time.Second
	return max(t-500*time.Millisecond, t/2)
}

// answer decides one request; a panic anywhere below is a refusal.
func (h *Handler) answer(ctx context.Context, req *Request) (resp *admissionv1.AdmissionResponse) {
	defer func() {
		if p := recover(); p != nil {
			h.Log.Error(fmt.Errorf("%v", p), "admission handler panicked", logkeys.UID, req.UID)
			h.Metrics.observePanic(req)
			resp = refuse(http.StatusInternalServerError, "driftgate: internal error while deciding; denied")
		}
		resp.UID = req.UID
	}()
	if isDriftgateResource(req) {
		resp = h.answerDriftgate(req)
		// Without the rules nothing was decided: that refusal is an error.
		h.Metrics.observeRules(req, resp.Allowed, h.Rules == nil)
		return resp
	}
	if h.Exempt(req.Namespace) {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	res := h.Decider.Decide(ctx, req)
	h.record(ctx, req, &res)
	h.Metrics.observe(&res)
	h.logDecision(req, &res)
	return response(&res)
}
