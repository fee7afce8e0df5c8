package webhook

import "github.com/driftgate/driftgate/internal/logkeys"

// logDecision logs the decisions worth a line: denials, break-glass writes and writes let through
// by warn or dryrun mode. Allowed writes are only counted.
func (h *Handler) logDecision(req *Request, res *Result) {
	if res.Allowed && res.Grant == "" && res.AuditAnnotations == nil {
		return
	}
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
