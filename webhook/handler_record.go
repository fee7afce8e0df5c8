package webhook

import (
	"context"
	"errors"
	"fmt"

	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/policies"
)

const errNoRecorder = constError("no recorder configured")

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
