package gitopstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
)

// WaitAudit waits up to a minute until an audit of the GitSource name on fresh data satisfies
// done, and returns its status; on timeout the test fails with the last status's counts,
// conditions and objects not in sync.
func (s Suite) WaitAudit(t *testing.T, name, what string, done func(v1alpha1.GitSourceStatus) bool) v1alpha1.GitSourceStatus {
	t.Helper()
	var gs v1alpha1.GitSource
	ok := false
	t.Cleanup(func() {
		if !ok {
			t.Logf("the last status of GitSource %s: counts %+v, conditions %+v, not in sync:\n%s", name, gs.Status.Counts, gs.Status.Conditions, Drifted(gs.Status))
		}
	})
	testutil.WaitWithin(t, what, time.Minute, func() bool {
		if err := s.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: name}, &gs); err != nil {
			return false
		}
		return gs.Status.LastSuccessfulAuditTime != nil && !gs.Status.Stale && done(gs.Status)
	})
	ok = true
	return gs.Status
}

// Drifted lists the objects a GitSource reports not in sync, one a line, with their paths and
// the managers that wrote them.
func Drifted(s v1alpha1.GitSourceStatus) string {
	var b strings.Builder
	for _, o := range s.DriftedObjects {
		fmt.Fprintf(&b, "  %s %s/%s %s: %s (by %s)\n", o.Kind, o.Namespace, o.Name, o.Status, strings.Join(o.Paths, ", "), strings.Join(o.Managers, ", "))
	}
	return b.String()
}

// DriftedPaths are the drifted paths of each drifted object, sorted, by "Kind namespace/name".
func DriftedPaths(s v1alpha1.GitSourceStatus) map[string][]string {
	out := map[string][]string{}
	for _, o := range s.DriftedObjects {
		if o.Status != "drifted" {
			continue
		}
		paths := slices.Clone(o.Paths)
		slices.Sort(paths)
		out[o.Kind+" "+o.Namespace+"/"+o.Name] = paths
	}
	return out
}
