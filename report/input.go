package report

import (
	"fmt"
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// NoTicket is the ticket of writes let through by warn mode without a grant (they carry none).
const NoTicket = "(none)"

// Input is what a report is built from: the cluster's grants, edits and Git sources.
type Input struct {
	// Ticket selects the grants and edits of one incident (Build); BuildOpen ignores it.
	Ticket string
	// Now is the report's time: whether a grant is still active is judged against it.
	Now time.Time
	// Since and Until, when set, keep only the edits made and the grants alive in that window.
	Since, Until time.Time
	Grants       []v1alpha1.BreakGlassGrant
	Edits        []v1alpha1.BreakGlassEdit
	Sources      []v1alpha1.GitSource
	// SourcesUnavailable, when set, says why the Git sources could not be read (forbidden, API
	// absent): the report then says other drift is unknown.
	SourcesUnavailable string
}

// NotFoundError is returned for a ticket with neither grants nor edits.
type NotFoundError struct {
	Ticket string
	// Windowed is set when --since/--until were given (records may exist outside the window).
	Windowed bool
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("no break-glass grants or edits for ticket %s", e.Ticket)
	if e.Windowed {
		return msg + " in the --since/--until window; widen it or check the ticket ID"
	}
	return msg + "; check the ticket ID (driftgate breakglass list shows the grants and their tickets)"
}

// ParseTime reads a --since/--until value: an RFC3339 time, or a duration such as 168h meaning
// that long before now.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC3339 time (2026-11-21T10:00:00Z) nor a duration (168h)", s)
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("%q: a duration means that long ago and must not be negative", s)
	}
	return now.Add(-d).UTC(), nil
}
