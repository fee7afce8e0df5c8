package report

import (
	"fmt"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// notes are the facts that do not decide the verdict, grants first.
func notes(in Input, grants []Grant, edits []Edit, drift OtherDrift) []string {
	out := []string{}
	for _, g := range grants {
		if n := grantNote(g); n != "" {
			out = append(out, n)
		}
	}
	out = append(out, editNotes(edits)...)
	if !drift.Known {
		out = append(out, "other drift on the edited objects is unknown: "+drift.Note)
	}
	return append(out, sourceNotes(in, edits)...)
}

func grantNote(g Grant) string {
	switch g.End.State {
	case EndActive:
		return fmt.Sprintf("grant %s is still active until %s: writes under it may still come; end it (driftgate breakglass revoke %s) when the work is done",
			g.Name, stampOrUnknown(g.End.Time), g.Name)
	case EndPending:
		return fmt.Sprintf("grant %s is still pending approval: deny or revoke it if it is no longer needed", g.Name)
	}
	return ""
}

func editNotes(edits []Edit) []string {
	var out []string
	warned := 0
	for _, e := range edits {
		switch {
		case e.Grant == "":
			warned++
		case !e.GrantFound:
			out = append(out, fmt.Sprintf("edit %s was made under grant %s, which no longer exists", e.Name, e.Grant))
		}
		if e.ChangesTruncated {
			out = append(out, fmt.Sprintf("edit %s recorded only its first changes or shortened values", e.Name))
		}
		if e.Backport.State == string(v1alpha1.NotApplied) {
			out = append(out, fmt.Sprintf("edit %s (%s: %s %s) was recorded but never applied: the object is as the write found it. A write refused after driftgate admitted it, or an admission review no API server sent: check the API server's audit log for the request",
				e.Name, e.User, e.Operation, e.Object))
		}
	}
	if warned > 0 {
		out = append(out, fmt.Sprintf("%d edit(s) were let through by warn mode without a grant", warned))
	}
	return out
}
