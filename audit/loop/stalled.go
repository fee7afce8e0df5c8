package loop

import (
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// stalledIntervals is how many of its own intervals a GitOps controller may leave the revision
// its source offers untried before it is reported not reconciling.
const stalledIntervals = 3

// checkReconciling marks s NotReconciling when the revision a source has offered since offeredAt
// (RFC 3339) is neither attempted nor applied after stalledIntervals intervals: the controller
// is down or stalled. A time that cannot be read marks nothing.
func checkReconciling(s *v1alpha1.SyncStatus, offered, offeredAt string, interval time.Duration, now time.Time) {
	if s == nil || offered == "" || s.AttemptedRevision == offered || s.AppliedRevision == offered {
		return
	}
	at, err := time.Parse(time.RFC3339, offeredAt)
	if err != nil {
		return
	}
	s.NotReconciling = now.Sub(at) >= stalledIntervals*interval
}
