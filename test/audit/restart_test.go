package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// TestRestartKeepsEditsAndBackportState: the audit loop stopping and starting again (a
// driftgate restart, or a new leader) loses no record and moves no backport state backwards: a
// Backported edit keeps its revision, a Required one its open paths, a drifted object its
// first-seen time; and the new loop goes on resolving (the Required edit is Reverted, by alice's
// recorded write).
func TestRestartKeepsEditsAndBackportState(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	g := newRepo(t)
	g.commit(t, "checkout.yaml", deployment(ns, "checkout", "shop/checkout:v1", "256Mi"), "checkout v1")
	fluxApply(t, deployment(ns, "checkout", "shop/checkout:v1", "256Mi"))
	src := gitSource(t, g.dir, time.Second)
	waitSource(t, src, "ready", ready)

	activeGrant(t, ns, "INC-1002")
	alice := cluster.Person(t, "alice")
	image := edit(t, alice, ns, "checkout", setImage("shop/checkout:v2"))
	memory := edit(t, alice, ns, "checkout", setMemory("512Mi"))
	waitBackport(t, memory.Name, v1alpha1.BackportRequired)
	g.commit(t, "checkout.yaml", deployment(ns, "checkout", "shop/checkout:v2", "256Mi"), "backport INC-1002 image")
	before := map[string]v1alpha1.BreakGlassEditStatus{
		image.Name:  waitBackport(t, image.Name, v1alpha1.Backported).Status,
		memory.Name: waitBackport(t, memory.Name, v1alpha1.BackportRequired).Status,
	}
	drifted, _ := driftedObject(waitSource(t, src, "memory drift listed", func(gs *v1alpha1.GitSource) bool {
		_, ok := driftedObject(gs, ns, "checkout")
		return ok
	}), ns, "checkout")

	cluster.StopAudit()
	restarted := metav1.Now()
	if err := cluster.StartAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	gs := waitSource(t, src, "audited again after the restart", func(gs *v1alpha1.GitSource) bool {
		return gs.Status.LastAuditTime != nil && gs.Status.LastAuditTime.After(restarted.Time)
	})
	for name, want := range before {
		got := waitBackport(t, name, want.Backport)
		// The audit's part of the status; the conditions are the self-heal protection's.
		if diff := cmp.Diff(want, got.Status, cmpopts.IgnoreFields(v1alpha1.BreakGlassEditStatus{}, "Conditions")); diff != "" {
			t.Errorf("edit %s status changed across the restart (-before +after):\n%s", name, diff)
		}
	}
	if after, ok := driftedObject(gs, ns, "checkout"); !ok || !after.FirstSeen.Equal(&drifted.FirstSeen) {
		t.Errorf("drifted object after the restart = %+v (listed %v), want first seen %s as before", after, ok, drifted.FirstSeen)
	}

	back := edit(t, alice, ns, "checkout", setMemory("256Mi"))
	got := waitBackport(t, memory.Name, v1alpha1.Reverted).Status.RevertedBy
	want := &v1alpha1.Reverter{User: "alice", Edit: back.Name, FieldManager: "kubectl-edit", Time: &back.Spec.Time}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("revertedBy of alice's memory edit (-want +got):\n%s", diff)
	}
}
