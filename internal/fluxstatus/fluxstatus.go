// Package fluxstatus reads what the demo and the benchmarks wait for on a Flux object
// (GitRepository, Kustomization): its Ready condition, the revision it applied, and the
// reconcile request it handled.
package fluxstatus

import (
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/internal/gitwork"
)

// Status is what a Flux object's status says.
type Status struct {
	Ready   bool   // condition Ready is True
	Message string // condition Ready's message
	Applied string // status.lastAppliedRevision (Kustomization)
	Handled string // status.lastHandledReconcileAt
}

// Read reads a Flux object's status.
func Read(u *unstructured.Unstructured) Status {
	var s Status
	s.Applied, _, _ = unstructured.NestedString(u.Object, "status", "lastAppliedRevision")
	s.Handled, _, _ = unstructured.NestedString(u.Object, "status", "lastHandledReconcileAt")
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	i := slices.IndexFunc(conditions, func(c any) bool {
		m, _ := c.(map[string]any)
		return m["type"] == "Ready"
	})
	if i >= 0 {
		m, _ := conditions[i].(map[string]any)
		s.Ready = m["status"] == "True"
		s.Message, _ = m["message"].(string)
	}
	return s
}

func (s Status) String() string {
	return fmt.Sprintf("Ready %t (%s), last applied %q, last handled request %q", s.Ready, s.Message, s.Applied, s.Handled)
}

// Revision is a commit on gitwork.Branch as Flux names the revision it fetched and applied.
func Revision(h plumbing.Hash) string { return gitwork.Branch + "@sha1:" + h.String() }
