package webhook

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	json "github.com/goccy/go-json"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/jsonpair"
	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/policies"
)

// Path is where the webhook server serves the admission webhook.
const Path = "/validate"

// maxBody bounds a review; the API server's own limit for an object is 3 MiB, a review holds two.
const maxBody = 7 << 20

// maxPooledBody bounds the body buffers kept for reuse.
const maxPooledBody = 1 << 20

// Handler answers the API server's AdmissionReviews over HTTP. It decodes each review once,
// straight into the objects the decision needs.
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

// ServeHTTP implements http.Handler. Malformed input is answered with a 4xx-coded refusal that
// says what is wrong; a panic with a refusal, never an allowed write.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if h.AnswerTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.AnswerTimeout)
		defer cancel()
	}
	if h.Draining != nil && h.Draining() {
		w.Header().Set("Connection", "close")
	}
	apiVersion, req, err := h.readReview(r)
	if err != nil {
		h.Log.Info("bad admission request", logkeys.Error, err.Error())
		writeReview(w, "", refuse(http.StatusBadRequest, err.Error()))
		return
	}
	writeReview(w, apiVersion, h.answer(ctx, req))
}

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

// readBody reads the body into a reused buffer of the announced size (the API server announces
// it); the caller puts the buffer back when done with it.
func (h *Handler) readBody(r *http.Request) (*bytes.Buffer, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	buf, _ := h.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		err = fmt.Errorf("reading the request body: %w", err)
	case buf.Len() == 0:
		err = errEmptyBody
	case buf.Len() > maxBody:
		err = errTooLarge
	}
	if err != nil {
		h.putBody(buf)
		return nil, err
	}
	return buf, nil
}

// putBody keeps a body buffer for the next review, unless a rare large review grew it.
func (h *Handler) putBody(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		h.bodies.Put(buf)
	}
}

// answer decides one request; a panic anywhere below is a refusal.
func (h *Handler) answer(ctx context.Context, req *Request) (resp *admissionv1.AdmissionResponse) {
	defer func() {
		if p := recover(); p != nil {
			h.Log.Error(fmt.Errorf("%v", p), "admission handler panicked", logkeys.UID, req.UID)
			h.Metrics.observe(&Result{Failed: true})
			resp = refuse(http.StatusInternalServerError, "driftgate: internal error while deciding; denied")
		}
		resp.UID = req.UID
	}()
	if isDriftgateResource(req) {
		return h.answerDriftgate(req)
	}
	if h.Exempt(req.Namespace) {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	res := h.Decider.Decide(ctx, req)
	h.record(ctx, req, &res)
	h.observe(req, &res)
	if !res.Allowed {
		return refuse(http.StatusForbidden, res.Reason)
	}
	return &admissionv1.AdmissionResponse{
		Allowed:          true,
		Result:           &metav1.Status{Code: http.StatusOK, Message: res.Reason},
		Warnings:         res.Warnings,
		AuditAnnotations: res.AuditAnnotations,
	}
}

// record keeps the record a decision asks for; when it cannot be kept, the write is denied.
// Dry-runs are never recorded.
func (h *Handler) record(ctx context.Context, req *Request, res *Result) {
	if !res.Allowed || !res.Record || (req.DryRun != nil && *req.DryRun) {
		return
	}
	err := h.keep(ctx, req, res)
	if err != nil {
		h.Log.Error(err, "break-glass write not recorded, denying it", logkeys.UID, req.UID)
		writer := res.Writer
		res.Decision = policies.Deny("driftgate: this write must be recorded and the record could not be written (" +
			err.Error() + "); denied, retry shortly")
		res.Failed, res.Writer = true, writer
	}
}

// keep writes the record before the answer's deadline.
func (h *Handler) keep(ctx context.Context, req *Request, res *Result) error {
	if h.Recorder == nil {
		return errNoRecorder
	}
	err := h.Recorder.Record(ctx, req, res)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the API server did not answer within driftgate's %s deadline: %w", h.AnswerTimeout, err)
	}
	return err
}

// AnswerTimeout is the bound on answering a webhook call the API server makes with
// timeoutSeconds: half a second less (a decision takes about a millisecond), at least half.
func AnswerTimeout(timeoutSeconds int32) time.Duration {
	t := time.Duration(timeoutSeconds) * time.Second
	return max(t-500*time.Millisecond, t/2)
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

func refuse(code int32, msg string) *admissionv1.AdmissionResponse {
	reason := metav1.StatusReasonForbidden
	if code == http.StatusBadRequest {
		reason = metav1.StatusReasonBadRequest
	}
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{Code: code, Reason: reason, Message: msg}}
}

func writeReview(w http.ResponseWriter, apiVersion string, resp *admissionv1.AdmissionResponse) {
	if apiVersion == "" {
		apiVersion = admissionv1.SchemeGroupVersion.String()
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "AdmissionReview"},
		Response: resp,
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&out) // the connection is gone if this fails; nothing to tell
}

func (h *Handler) observe(req *Request, res *Result) {
	h.Metrics.observe(res)
	if res.Allowed && res.Grant == "" && res.AuditAnnotations == nil {
		return
	}
	// Denials, break-glass writes and writes let through by warn or dryrun mode.
	var mode string
	if res.Input != nil {
		mode = res.Input.Mode
	}
	h.Log.Info("admission decision", h.requestKeys(req, res.Allowed, res.Reason,
		logkeys.Mode, mode, logkeys.Grant, res.Grant, logkeys.Ticket, res.Ticket)...)
}

// requestKeys are the log key/value pairs that describe a request and its answer.
func (h *Handler) requestKeys(req *Request, allowed bool, reason string, extra ...any) []any {
	return append([]any{
		logkeys.UID, req.UID,
		logkeys.User, req.UserInfo.Username,
		logkeys.Operation, req.Operation,
		logkeys.Resource, ResourceName(req.Resource.Group, req.Resource.Resource),
		logkeys.Subresource, req.SubResource,
		logkeys.Namespace, req.Namespace,
		logkeys.Name, req.Name,
		logkeys.DryRun, req.DryRun != nil && *req.DryRun,
		logkeys.Allowed, allowed,
		logkeys.Reason, reason,
	}, extra...)
}

type constError string

func (e constError) Error() string { return string(e) }

const (
	errNoRequest  = constError("the AdmissionReview has no request (or no request.uid/operation)")
	errEmptyBody  = constError("request body is empty")
	errTooLarge   = constError("request body is larger than 7 MiB")
	errNoRecorder = constError("no recorder configured")
)
