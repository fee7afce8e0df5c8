package report

import (
	"slices"
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// grantIndex finds grants by name.
type grantIndex map[string]*v1alpha1.BreakGlassGrant

func indexGrants(grants []v1alpha1.BreakGlassGrant) grantIndex {
	idx := make(grantIndex, len(grants))
	for i := range grants {
		idx[grants[i].Name] = &grants[i]
	}
	return idx
}

// ticketOf is the ticket an edit belongs to: its own, else its grant's, else NoTicket.
func (idx grantIndex) ticketOf(e *v1alpha1.BreakGlassEdit) string {
	if e.Spec.Ticket != "" {
		return e.Spec.Ticket
	}
	if g, ok := idx[e.Spec.Grant]; ok && e.Spec.Grant != "" && g.Spec.Ticket != "" {
		return g.Spec.Ticket
	}
	return NoTicket
}

// inWindow reports whether t is within [since, until]; a zero bound is open.
func inWindow(t, since, until time.Time) bool {
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until))
}

// selectEdits keeps the edits of ticket made within the window.
func selectEdits(in Input, idx grantIndex, ticket string) []v1alpha1.BreakGlassEdit {
	var out []v1alpha1.BreakGlassEdit
	for i := range in.Edits {
		e := &in.Edits[i]
		if idx.ticketOf(e) == ticket && inWindow(e.Spec.Time.Time, in.Since, in.Until) {
			out = append(out, *e)
		}
	}
	return out
}

// selectGrants keeps the grants of ticket whose life (request to end) overlaps the window.
func selectGrants(in Input, ticket string) []v1alpha1.BreakGlassGrant {
	var out []v1alpha1.BreakGlassGrant
	for _, g := range in.Grants {
		if g.Spec.Ticket != ticket {
			continue
		}
		start, end := lifeOf(&g, in.Now)
		if (in.Until.IsZero() || !start.After(in.Until)) && (in.Since.IsZero() || !end.Before(in.Since)) {
			out = append(out, g)
		}
	}
	return out
}

// lifeOf is when a grant was requested and when it ended (now while it has not).
func lifeOf(g *v1alpha1.BreakGlassGrant, now time.Time) (time.Time, time.Time) {
	start := g.CreationTimestamp.Time
	if start.IsZero() && g.Status.ActivatedAt != nil {
		start = g.Status.ActivatedAt.Time
	}
	end := endOf(g, now)
	if end.Time == nil || end.State == EndActive {
		return start, now
	}
	return start, *end.Time
}

// openTickets lists, sorted, the tickets with at least one Required edit in the window.
func openTickets(in Input, idx grantIndex) []string {
	var out []string
	for i := range in.Edits {
		e := &in.Edits[i]
		if backportState(e) == string(v1alpha1.BackportRequired) && inWindow(e.Spec.Time.Time, in.Since, in.Until) {
			out = append(out, idx.ticketOf(e))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
