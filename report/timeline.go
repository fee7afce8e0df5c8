package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Event kinds, in the order events at the same second are listed.
const (
	EventRequested  = "requested"
	EventApproved   = "approved"
	EventDenied     = "denied"
	EventActivated  = "activated"
	EventWrite      = "write"
	EventBackported = "backported"
	EventReverted   = "reverted"
	EventNotApplied = "notApplied"
	EventRevoked    = "revoked"
	EventExpired    = "expired"
)

func eventRank(kind string) int {
	return slices.Index([]string{EventRequested, EventApproved, EventDenied, EventActivated, EventWrite,
		EventBackported, EventReverted, EventNotApplied, EventRevoked, EventExpired}, kind)
}

// timeline lists the grants' and edits' events by time: request, approvals, activation, each
// write, each resolution, the grant's end.
func timeline(grants []Grant, edits []Edit) []Event {
	out := []Event{}
	for _, g := range grants {
		out = append(out, grantEvents(g)...)
	}
	for _, e := range edits {
		out = append(out, editEvents(e)...)
	}
	slices.SortStableFunc(out, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(eventRank(a.Kind), eventRank(b.Kind)),
			cmp.Compare(a.Grant, b.Grant), cmp.Compare(a.Edit, b.Edit), cmp.Compare(a.Text, b.Text))
	})
	return out
}

func grantEvents(g Grant) []Event {
	var out []Event
	add := func(t *time.Time, kind, text string) {
		if t != nil {
			out = append(out, Event{Time: *t, Kind: kind, Text: text, Grant: g.Name})
		}
	}
	add(g.RequestedAt, EventRequested, fmt.Sprintf("%s requested grant %s for %s: %s", g.Requester, g.Name, g.Duration, g.Reason))
	for _, a := range g.Approvals {
		add(&a.Time, EventApproved, fmt.Sprintf("%s approved grant %s", a.User, g.Name))
	}
	add(g.ActivatedAt, EventActivated, fmt.Sprintf("grant %s became active until %s", g.Name, stampOrUnknown(g.ExpiresAt)))
	switch g.End.State {
	case EndExpired, EndRevoked, EndDenied:
		add(g.End.Time, g.End.State, "grant "+g.Name+" "+g.End.Text)
	}
	return out
}

func editEvents(e Edit) []Event {
	out := []Event{{Time: e.Time, Kind: EventWrite, Edit: e.Name, Grant: e.Grant,
		Text: fmt.Sprintf("%s: %s %s%s", e.User, e.Operation, e.Object, pathCount(len(e.Changes)))}}
	if e.Backport.ResolvedAt == nil {
		return out
	}
	text := fmt.Sprintf("the edit of %s was reverted%s: live matches Git again", e.Object, revertedByText(e.Backport.RevertedBy))
	if e.Backport.undone() {
		text = fmt.Sprintf("the edit of %s was undone by %s: the GitOps controller put Git's values back", e.Object, orDefault(e.Backport.RevertedBy.FieldManager, "the GitOps controller"))
	}
	kind := EventReverted
	if e.Backport.State == "Backported" {
		kind, text = EventBackported, fmt.Sprintf("the edit of %s was backported: Git matches live at revision %s", e.Object, orDefault(e.Backport.Revision, "(unknown)"))
	} else if e.Backport.State == "NotApplied" {
		kind, text = EventNotApplied, fmt.Sprintf("the recorded write to %s never landed", e.Object)
	} else if e.Backport.State != "Reverted" {
		return out
	}
	return append(out, Event{Time: *e.Backport.ResolvedAt, Kind: kind, Text: text, Edit: e.Name, Grant: e.Grant})
}

func pathCount(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 path)"
	}
	return fmt.Sprintf(" (%d paths)", n)
}
