package report

import (
	"fmt"
	"slices"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// verdictOf decides the report: ready to close only when no edit is Required (Backported,
// Reverted, or NotApplied, which the notes list apart) and no GitOps controller undid one (the
// incident fix is gone without anyone deciding so: review before closing).
// Grants still active or pending do not change it (they are notes).
func verdictOf(edits []Edit) Verdict {
	items, undone := []OpenItem{}, []UndoneItem{}
	skipped := 0
	for _, e := range edits {
		switch {
		case e.Backport.State == string(v1alpha1.BackportRequired):
			items = append(items, openItem(e))
			if e.Backport.SkippedInGit != "" {
				skipped++
			}
		case e.Backport.undone():
			undone = append(undone, undoneItem(e))
		}
	}
	v := Verdict{OpenItems: items, Undone: undone}
	switch {
	case len(items) > 0 && skipped == len(items) && len(undone) == 0:
		// Nothing will ever decide them: a person does.
		v.Summary = SummaryReview
		v.Reason = skippedReason(skipped) + ": confirm each fix is handled (backported or reverted by hand), then close"
	case len(items) > 0:
		v.Summary = SummaryNotReady
		v.Reason = fmt.Sprintf("%d of %d edits still need a backport to Git or a live revert", len(items), len(edits))
		if len(undone) > 0 {
			v.Reason += fmt.Sprintf(", and %s", undoneReason(len(undone)))
		}
	case len(undone) > 0:
		v.Summary = SummaryReview
		v.Reason = undoneReason(len(undone)) + ": confirm going back to Git is intended, or backport the fix"
	default:
		v.Ready, v.Summary, v.Reason = true, SummaryReady, readyReason(len(edits))
	}
	return v
}

func skippedReason(n int) string {
	if n == 1 {
		return "1 edit is of an object Git marks driftgate.io/skip, which the audit does not decide"
	}
	return fmt.Sprintf("%d edits are of objects Git marks driftgate.io/skip, which the audit does not decide", n)
}

func undoneReason(n int) string {
	if n == 1 {
		return "1 edit was undone by the GitOps controller, not by a person"
	}
	return fmt.Sprintf("%d edits were undone by the GitOps controller, not by a person", n)
}

// undoneItem is what to do about an edit a GitOps controller reverted.
func undoneItem(e Edit) UndoneItem {
	it := UndoneItem{Edit: e.Name, Time: e.Time, User: e.User, Object: e.Object, Paths: openPaths(e),
		By: e.Backport.RevertedBy.FieldManager, At: e.Backport.RevertedBy.Time}
	it.Do = fmt.Sprintf("%s put Git's values back over %s's fix. If the fix is still needed, backport it to Git%s and let the controller apply it; otherwise confirm going back to Git is intended before closing",
		orDefault(it.By, "the GitOps controller"), it.User, fileText(e.Backport.File))
	return it
}

func fileText(file string) string {
	if file == "" {
		return ""
	}
	return " (" + file + ")"
}

func readyReason(edits int) string {
	switch edits {
	case 0:
		return "no writes were recorded under this ticket"
	case 1:
		return "the only edit is backported to Git or reverted"
	}
	return fmt.Sprintf("all %d edits are backported to Git or reverted", edits)
}

// openItem is what is open about a Required edit and what to do about it.
func openItem(e Edit) OpenItem {
	it := OpenItem{
		Edit: e.Name, Time: e.Time, User: e.User, Operation: e.Operation, Object: e.Object,
		Paths: openPaths(e), File: e.Backport.File, GitSource: e.Backport.GitSource,
	}
	it.Backport = backportHint(it, plainStyle())
	it.Revert = revertHint(it, e, plainStyle())
	it.SelfHeal = e.SelfHeal
	it.SkippedInGit = e.Backport.SkippedInGit
	return it
}

// openPaths are the paths the audit still sees open, or every changed path when it has not
// said.
func openPaths(e Edit) []string {
	if len(e.Backport.OpenPaths) > 0 {
		return slices.Clone(e.Backport.OpenPaths)
	}
	paths := make([]string, 0, len(e.Changes))
	for _, c := range e.Changes {
		paths = append(paths, c.Path)
	}
	return paths
}
