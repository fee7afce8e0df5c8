package report

import (
	"cmp"
	"errors"
	"slices"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// Build makes the report of in.Ticket. A ticket with neither grants nor edits (in the window)
// is a *NotFoundError.
func Build(in Input) (Report, error) {
	if in.Ticket == "" {
		return Report{}, errors.New("no ticket given: name one, or ask for every open ticket")
	}
	in = normalized(in)
	idx := indexGrants(in.Grants)
	grants, edits := selectGrants(in, in.Ticket), selectEdits(in, idx, in.Ticket)
	if len(grants) == 0 && len(edits) == 0 {
		return Report{}, &NotFoundError{Ticket: in.Ticket, Windowed: !in.Since.IsZero() || !in.Until.IsZero()}
	}
	return assemble(in, in.Ticket, grants, edits, idx), nil
}

// BuildOpen makes one report per ticket with at least one Required edit in the window, sorted
// by ticket. Writes without a ticket (warn mode) are reported under NoTicket.
func BuildOpen(in Input) []Report {
	in = normalized(in)
	idx := indexGrants(in.Grants)
	out := []Report{}
	for _, t := range openTickets(in, idx) {
		out = append(out, assemble(in, t, selectGrants(in, t), selectEdits(in, idx, t), idx))
	}
	return out
}

// normalized has its times in UTC and its sources in name order.
func normalized(in Input) Input {
	in.Now = utc(in.Now)
	if !in.Since.IsZero() {
		in.Since = in.Since.UTC()
	}
	if !in.Until.IsZero() {
		in.Until = in.Until.UTC()
	}
	in.Sources = slices.Clone(in.Sources)
	slices.SortFunc(in.Sources, func(a, b v1alpha1.GitSource) int { return cmp.Compare(a.Name, b.Name) })
	return in
}

func assemble(in Input, ticket string, grants []v1alpha1.BreakGlassGrant, edits []v1alpha1.BreakGlassEdit, idx grantIndex) Report {
	r := Report{Ticket: ticket, GeneratedAt: in.Now, Since: optional(in.Since), Until: optional(in.Until)}
	r.Grants = make([]Grant, 0, len(grants))
	for i := range grants {
		r.Grants = append(r.Grants, grantOf(&grants[i], in.Now))
	}
	slices.SortFunc(r.Grants, compareGrants)
	r.Edits = make([]Edit, 0, len(edits))
	for i := range edits {
		r.Edits = append(r.Edits, editOf(&edits[i], idx))
	}
	slices.SortFunc(r.Edits, func(a, b Edit) int { return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Name, b.Name)) })
	r.Verdict = verdictOf(r.Edits)
	r.OtherDrift = otherDrift(in, r.Edits)
	waitingOnGit(r.Verdict.OpenItems, r.OtherDrift)
	r.Notes = notes(in, r.Grants, r.Edits, r.OtherDrift)
	r.Timeline = timeline(r.Grants, r.Edits)
	return r
}

func compareGrants(a, b Grant) int {
	at, bt := a.RequestedAt, b.RequestedAt
	switch {
	case at != nil && bt != nil:
		if c := at.Compare(*bt); c != 0 {
			return c
		}
	case at != nil:
		return -1
	case bt != nil:
		return 1
	}
	return cmp.Compare(a.Name, b.Name)
}
