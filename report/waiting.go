package report

import (
	"fmt"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// waitingOnGit notes on each open item whose object driftgate holds paused (self-heal
// protection Held) what its GitSources see differ there beyond the ticket's paths: Git changes the
// GitOps controller has not applied and applies once the edit is resolved and the pause lifted
// (or other live drift, which that apply puts back to Git's values all the same).
func waitingOnGit(items []OpenItem, drift OtherDrift) {
	for i := range items {
		it := &items[i]
		if it.SelfHeal == nil || it.SelfHeal.Reason != v1alpha1.SelfHealHeld {
			continue
		}
		key := keyOf(it.Object.APIVersion, it.Object.Kind, it.Object.Namespace, it.Object.Name)
		for _, d := range drift.Objects {
			if keyOf(d.Object.APIVersion, d.Object.Kind, d.Object.Namespace, d.Object.Name) != key || len(d.Paths) == 0 {
				continue
			}
			w := Waiting{GitSource: d.GitSource, Revision: d.Revision, Paths: d.Paths}
			w.Text = waitingText(w, plainStyle())
			it.Waiting = append(it.Waiting, w)
		}
	}
}

func waitingText(w Waiting, s style) string {
	rev := orDefault(w.Revision, "(unknown)")
	return fmt.Sprintf("Git moved on: GitSource %s at revision %s differs from live at %s while the object is paused; Flux will apply revision %s when the edit is resolved",
		w.GitSource, s.code(rev), codeList(w.Paths, s), s.code(rev))
}
