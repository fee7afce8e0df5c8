package report

import (
	"fmt"
	"slices"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// verdictOf decides the report: ready to close only when no edit is Required (Backported,
// Reverted, or NotApplied, which the notes list apart).
// Grants still active or pending do not change it (they are notes).
func verdictOf(edits []Edit) Verdict {
	items := []OpenItem{}
	for _, e := range edits {
		if e.Backport.State == string(v1alpha1.BackportRequired) {
			items = append(items, openItem(e))
		}
	}
	if len(items) == 0 {
		return Verdict{Ready: true, Summary: SummaryReady, Reason: readyReason(len(edits)), OpenItems: items}
	}
	return Verdict{Summary: SummaryNotReady, OpenItems: items,
		Reason: fmt.Sprintf("%d of %d edits still need a backport to Git or a live revert", len(items), len(edits))}
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
