package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
)

// stalled reports whether the GitSource is Stalled for its current spec: Stalled True and Ready
// False, both InvalidSpec, at the current generation.
func stalled(gs *v1alpha1.GitSource) bool {
	s := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled)
	r := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	return s != nil && r != nil && s.Status == metav1.ConditionTrue && s.Reason == loop.ReasonInvalidSpec &&
		r.Status == metav1.ConditionFalse && r.Reason == loop.ReasonInvalidSpec &&
		s.ObservedGeneration == gs.Generation && r.ObservedGeneration == gs.Generation
}

// TestSpecThatCannotWorkStalls: a path that leaves the repository is Stalled, with messages
// bounded to 1 KiB (the cause kept), and is not fetched again on its 1 s interval; fixing the spec makes it
// Ready.
func TestSpecThatCannotWorkStalls(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	g := newRepo(t)
	g.commit(t, "web.yaml", deployment(ns, "web", "shop/web:v1", "128Mi"), "web")
	fluxApply(t, deployment(ns, "web", "shop/web:v1", "128Mi"))
	badPath := "../" + strings.Repeat("elsewhere/", 200)
	src := gitSourceWith(t, v1alpha1.GitSourceSpec{URL: g.dir, Path: badPath, Interval: metav1.Duration{Duration: time.Second}})

	gs := waitSource(t, src, "Stalled", stalled)
	for _, c := range gs.Status.Conditions {
		if len(c.Message) > 1024 {
			t.Errorf("%s message is %d bytes, want at most 1024", c.Type, len(c.Message))
		}
	}
	if c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled); !strings.HasSuffix(c.Message, "must be a relative path inside the repository") ||
		!strings.Contains(c.Message, "…") {
		t.Errorf("Stalled message %q, want the path error, cut in the middle", c.Message)
	}
	if !gs.Status.Stale || gs.Status.LastAuditTime == nil {
		t.Errorf("status stale %t, last audit %v; want stale, with the time of the attempt", gs.Status.Stale, gs.Status.LastAuditTime)
	}

	// Three intervals later nothing has been tried again.
	attempted := gs.Status.LastAuditTime
	time.Sleep(3 * time.Second)
	gs = waitSource(t, src, "still Stalled", stalled)
	if !gs.Status.LastAuditTime.Equal(attempted) {
		t.Errorf("last audit time moved from %v to %v: the stalled source was fetched again", attempted, gs.Status.LastAuditTime)
	}

	c := cluster.AdminActor(t).Client
	before := gs.DeepCopy()
	gs.Spec.Path = ""
	if err := c.Patch(context.Background(), gs, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	waitSource(t, src, "Ready after the fix, Stalled gone", func(gs *v1alpha1.GitSource) bool {
		return ready(gs) && gs.Status.ObservedGeneration == gs.Generation && gs.Status.Counts.InSync == 1 &&
			apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionStalled) == nil
	})
}

// TestUnsupportedSchemeStalls: a URL Git cannot fetch is Stalled at once, nothing fetched.
func TestUnsupportedSchemeStalls(t *testing.T) {
	src := gitSource(t, "ftp://git.example.com/fleet.git", time.Second)
	gs := waitSource(t, src, "Stalled", stalled)
	if c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable); c == nil ||
		c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, `unsupported scheme "ftp"`) {
		t.Errorf("SourceAvailable = %+v, want False saying the scheme is unsupported", c)
	}
}
