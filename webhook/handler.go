package webhook

import (
	"context"
	"net/http"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/driftgate/driftgate/internal/logkeys"
)

// Path is where the webhook server serves the admission webhook.
const Path = "/validate"

// Handler answers the API server's AdmissionReviews.
type Handler struct {
	Decider *Decider
	// Exempt reports namespaces that are never intercepted (also excluded by the registration).
	Exempt  func(namespace string) bool
	Log     logr.Logger
	Metrics *Metrics
}

var _ admission.Handler = (*Handler)(nil)

// Handle implements admission.Handler.
func (h *Handler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.UID == "" || req.Operation == "" {
		return admission.Errored(http.StatusBadRequest, errNoRequest)
	}
	if h.Exempt(req.Namespace) {
		return admission.Allowed("exempt namespace")
	}
	res := h.Decider.Decide(ctx, &req.AdmissionRequest)
	h.observe(&req, &res)
	if !res.Allowed {
		return admission.Denied(res.Reason)
	}
	resp := admission.Allowed(res.Reason).WithWarnings(res.Warnings...)
	resp.AuditAnnotations = res.AuditAnnotations
	return resp
}

func (h *Handler) observe(req *admission.Request, res *Result) {
	h.Metrics.observe(res)
	if res.Allowed && res.Grant == "" && res.AuditAnnotations == nil {
		return
	}
	// Denials, break-glass writes and writes let through by warn or dryrun mode.
	var mode string
	if res.Input != nil {
		mode = res.Input.Mode
	}
	h.Log.Info("admission decision",
		logkeys.UID, req.UID,
		logkeys.User, req.UserInfo.Username,
		logkeys.Operation, req.Operation,
		logkeys.Resource, ResourceName(req.Resource.Group, req.Resource.Resource),
		logkeys.Subresource, req.SubResource,
		logkeys.Namespace, req.Namespace,
		logkeys.Name, req.Name,
		logkeys.DryRun, req.DryRun != nil && *req.DryRun,
		logkeys.Mode, mode,
		logkeys.Allowed, res.Allowed,
		logkeys.Grant, res.Grant,
		logkeys.Ticket, res.Ticket,
		logkeys.Reason, res.Reason,
	)
}

type constError string

func (e constError) Error() string { return string(e) }

const errNoRequest = constError("the AdmissionReview has no request (or no request.uid/operation)")
