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
	s.NotReconciling = untriedFor(offeredAt, interval, now)
}

// checkSpecReconciling marks s NotReconciling when its object's spec, changed at changedAt (RFC
// 3339), is still not applied (SpecPending) after stalledIntervals intervals: the controller is
// down or stalled. A time that cannot be read marks nothing.
func checkSpecReconciling(s *v1alpha1.SyncStatus, changedAt string, interval time.Duration, now time.Time) {
	if s == nil || !s.SpecPending {
		return
	}
	s.NotReconciling = s.NotReconciling || untriedFor(changedAt, interval, now)
}

// untriedFor reports whether stalledIntervals intervals have gone by since at (RFC 3339);
// false when at cannot be read.
func untriedFor(at string, interval time.Duration, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return false
	}
	return now.Sub(t) >= stalledIntervals*interval
}
