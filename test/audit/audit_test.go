package audit_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/testutil"
)

const (
	imagePath  = "spec.template.spec.containers[name=app].image"
	memoryPath = "spec.template.spec.containers[name=app].resources.limits.memory"
)

func setImage(image string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image }
}

func setMemory(q string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Resources.Limits["memory"] = resource.MustParse(q)
	}
}

// TestBackportFollowsGitAndLive: an image edit is Backported when Git takes it (with that
// revision); a memory edit is Reverted when live goes back to Git's value.
func TestBackportFollowsGitAndLive(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	g := newRepo(t)
	g.commit(t, "checkout.yaml", deployment(ns, "checkout", "shop/checkout:v1", "256Mi"), "checkout v1")
	fluxApply(t, deployment(ns, "checkout", "shop/checkout:v1", "256Mi"))
	src := gitSource(t, g.dir, time.Second)
	waitSource(t, src, "ready and in sync", func(gs *v1alpha1.GitSource) bool {
		return ready(gs) && gs.Status.Counts.InSync >= 1 && gs.Status.Counts.Drifted == 0
	})

	activeGrant(t, ns, "INC-1001")
	alice := cluster.Person(t, "alice")
	image := edit(t, alice, ns, "checkout", setImage("shop/checkout:v2"))
	memory := edit(t, alice, ns, "checkout", setMemory("512Mi"))
	for _, e := range []string{image.Name, memory.Name} {
		got := waitBackport(t, e, v1alpha1.BackportRequired)
		if got.Status.GitSource != src || got.Status.File != "checkout.yaml" || len(got.Status.OpenPaths) != 1 {
			t.Errorf("edit %s status: gitSource %q, file %q, open %v; want %s, checkout.yaml, one open path",
				e, got.Status.GitSource, got.Status.File, got.Status.OpenPaths, src)
		}
	}
	gs := waitSource(t, src, "two edits to backport, the object drifted at both paths", func(gs *v1alpha1.GitSource) bool {
		obj, ok := driftedObject(gs, ns, "checkout")
		return gs.Status.Counts.BackportRequired == 2 && gs.Status.Counts.Drifted == 1 && ok &&
			slices.Equal(obj.Paths, []string{imagePath, memoryPath})
	})
	if obj, _ := driftedObject(gs, ns, "checkout"); obj.FirstSeen.IsZero() || !slices.Equal(obj.Managers, []string{"kubectl-edit"}) {
		t.Errorf("drifted object = %+v, want a first-seen time and the manager kubectl-edit", obj)
	}

	rev := g.commit(t, "checkout.yaml", deployment(ns, "checkout", "shop/checkout:v2", "256Mi"), "backport INC-1001 image")
	done := waitBackport(t, image.Name, v1alpha1.Backported)
	if done.Status.Revision != rev || done.Status.ResolvedAt == nil {
		t.Errorf("backported edit: revision %q, resolvedAt %v; want %q and a time", done.Status.Revision, done.Status.ResolvedAt, rev)
	}
	if e := waitBackport(t, memory.Name, v1alpha1.BackportRequired); len(e.Status.OpenPaths) != 1 {
		t.Errorf("memory edit open paths %v, want [%s]", e.Status.OpenPaths, memoryPath)
	}

	revert := edit(t, alice, ns, "checkout", setMemory("256Mi"))
	reverted := waitBackport(t, memory.Name, v1alpha1.Reverted)
	if reverted.Status.Revision != "" || reverted.Status.ResolvedAt == nil {
		t.Errorf("reverted edit: revision %q, resolvedAt %v; want none and a time", reverted.Status.Revision, reverted.Status.ResolvedAt)
	}
	waitBackport(t, revert.Name, v1alpha1.Reverted)
	waitSource(t, src, "back in sync, nothing to backport", func(gs *v1alpha1.GitSource) bool {
		_, listed := driftedObject(gs, ns, "checkout")
		return gs.Status.Revision == rev && gs.Status.Counts.BackportRequired == 0 && !listed
	})
}

// TestWarnModeEditWithoutGrant: warn mode lets a person write without a grant; the write is
// recorded and stays Required until Git or live resolves it.
func TestWarnModeEditWithoutGrant(t *testing.T) {
	ns := cluster.Namespace(t, map[string]string{config.ModeLabel: string(config.ModeWarn)})
	g := newRepo(t)
	g.commit(t, "web.yaml", deployment(ns, "web", "shop/web:v1", "128Mi"), "web")
	fluxApply(t, deployment(ns, "web", "shop/web:v1", "128Mi"))
	src := gitSource(t, g.dir, time.Second)
	waitSource(t, src, "ready", ready)
	bindWriter(t, ns, "carol")

	e := edit(t, cluster.Person(t, "carol"), ns, "web", setImage("shop/web:hotfix"))
	if e.Spec.Grant != "" || e.Spec.Mode != string(config.ModeWarn) {
		t.Fatalf("record: grant %q, mode %q; want no grant, warn", e.Spec.Grant, e.Spec.Mode)
	}
	got := waitBackport(t, e.Name, v1alpha1.BackportRequired)
	if diff := cmp.Diff([]string{imagePath}, got.Status.OpenPaths); diff != "" {
		t.Errorf("open paths (-want +got):\n%s", diff)
	}
}

// TestLiveEditShowsUpAsDrift: with Git fetched once an hour, a live edit still reaches the
// GitSource status within 5 s, through the watches; scaling back clears it.
func TestLiveEditShowsUpAsDrift(t *testing.T) {
	ns := cluster.Namespace(t, map[string]string{config.ModeLabel: string(config.ModeWarn)})
	g := newRepo(t)
	g.commit(t, "api.yaml", deployment(ns, "api", "shop/api:v1", "128Mi"), "api")
	fluxApply(t, deployment(ns, "api", "shop/api:v1", "128Mi"))
	src := gitSource(t, g.dir, time.Hour)
	waitSource(t, src, "ready and in sync", func(gs *v1alpha1.GitSource) bool {
		_, listed := driftedObject(gs, ns, "api")
		return ready(gs) && !listed
	})
	bindWriter(t, ns, "carol")
	carol := cluster.Person(t, "carol")

	edit(t, carol, ns, "api", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](5) })
	gs := &v1alpha1.GitSource{}
	c := cluster.AdminActor(t).Client
	testutil.WaitWithin(t, "the scaled Deployment listed as drifted", 5*time.Second, func() bool {
		if err := c.Get(context.Background(), clientKey(src), gs); err != nil {
			return false
		}
		o, ok := driftedObject(gs, ns, "api")
		return ok && slices.Contains(o.Paths, "spec.replicas")
	})

	waitEvent(t, ns, "api", "DriftDetected", "spec.replicas")

	edit(t, carol, ns, "api", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](2) })
	waitSource(t, src, "back in sync", func(gs *v1alpha1.GitSource) bool {
		_, listed := driftedObject(gs, ns, "api")
		return !listed
	})
	waitEvent(t, ns, "api", "DriftResolved", "back in sync with Git")
}

// waitEvent waits for an event about the Deployment with the reason and a note containing text.
func waitEvent(t *testing.T, ns, name, reason, text string) {
	t.Helper()
	cs := cluster.AdminActor(t).CS
	testutil.WaitFor(t, reason+" event on "+ns+"/"+name, func() bool {
		list, err := cs.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Reason == reason && e.Regarding.Kind == "Deployment" && e.Regarding.Name == name &&
				e.Regarding.UID != "" && strings.Contains(e.Note, text) {
				return true
			}
		}
		return false
	})
}

// TestUnreachableSource: a source that cannot be fetched reports SourceAvailable=False and
// nothing in sync; one that worked and then fails keeps its last result, marked stale.
func TestUnreachableSource(t *testing.T) {
	never := gitSource(t, "https://127.0.0.1:1/fleet.git", time.Second)
	gs := waitSource(t, never, "source unavailable", func(gs *v1alpha1.GitSource) bool {
		return condition(gs, v1alpha1.ConditionSourceAvailable) == metav1.ConditionFalse
	})
	if condition(gs, v1alpha1.ConditionReady) != metav1.ConditionFalse || gs.Status.Counts.InSync != 0 || !gs.Status.Stale {
		t.Errorf("unreachable source status: Ready %s, inSync %d, stale %v; want False, 0, true",
			condition(gs, v1alpha1.ConditionReady), gs.Status.Counts.InSync, gs.Status.Stale)
	}

	ns := cluster.Namespace(t, nil)
	g := newRepo(t)
	g.commit(t, "cache.yaml", deployment(ns, "cache", "shop/cache:v1", "1Gi"), "cache")
	rev := g.commit(t, "db.yaml", deployment(ns, "db", "shop/db:v1", "1Gi"), "db")
	fluxApply(t, deployment(ns, "cache", "shop/cache:v1", "1Gi"))
	fluxApply(t, deployment(ns, "db", "shop/db:v2", "1Gi")) // live already differs from Git
	src := gitSource(t, g.dir, time.Second)
	waitSource(t, src, "ready with db drifted and cache in sync", func(gs *v1alpha1.GitSource) bool {
		_, listed := driftedObject(gs, ns, "db")
		return ready(gs) && listed && gs.Status.Counts.InSync == 1
	})
	if err := os.RemoveAll(g.dir); err != nil {
		t.Fatal(err)
	}
	gs = waitSource(t, src, "stale", func(gs *v1alpha1.GitSource) bool {
		return condition(gs, v1alpha1.ConditionSourceAvailable) == metav1.ConditionFalse
	})
	_, listed := driftedObject(gs, ns, "db")
	if !gs.Status.Stale || gs.Status.Counts.InSync != 0 || gs.Status.Revision != rev || !listed ||
		condition(gs, v1alpha1.ConditionReady) != metav1.ConditionFalse {
		t.Errorf("stale status: stale %v, inSync %d, revision %q, db listed %v, Ready %s; want true, 0, %q, true, False",
			gs.Status.Stale, gs.Status.Counts.InSync, gs.Status.Revision, listed, condition(gs, v1alpha1.ConditionReady), rev)
	}
}

// TestSourceIgnoreRulesAndCredentials: a GitSource's ignore rules hide their paths (and only
// those); a credentials Secret that cannot be read makes the source unavailable, naming it.
func TestSourceIgnoreRulesAndCredentials(t *testing.T) {
	ns := cluster.Namespace(t, map[string]string{config.ModeLabel: string(config.ModeWarn)})
	g := newRepo(t)
	g.commit(t, "web.yaml", deployment(ns, "web", "shop/web:v1", "128Mi"), "web")
	fluxApply(t, deployment(ns, "web", "shop/web:v1", "128Mi"))
	src := gitSourceWith(t, v1alpha1.GitSourceSpec{URL: g.dir, Interval: metav1.Duration{Duration: time.Second},
		Ignore: []v1alpha1.IgnoreRule{{Group: "apps", Kind: "Deployment", Namespace: ns, Paths: []string{"spec.replicas"}}}})
	waitSource(t, src, "ready", ready)
	bindWriter(t, ns, "carol")
	edit(t, cluster.Person(t, "carol"), ns, "web", func(d *appsv1.Deployment) {
		d.Spec.Replicas = ptr.To[int32](7)
		d.Spec.Template.Spec.Containers[0].Image = "shop/web:hotfix"
	})
	waitSource(t, src, "web drifted at the image only", func(gs *v1alpha1.GitSource) bool {
		o, ok := driftedObject(gs, ns, "web")
		return ok && slices.Equal(o.Paths, []string{imagePath})
	})

	locked := gitSourceWith(t, v1alpha1.GitSourceSpec{URL: g.dir, Interval: metav1.Duration{Duration: time.Second},
		SecretRef: &v1alpha1.SecretReference{Namespace: ns, Name: "no-such-credentials"}})
	gs := waitSource(t, locked, "source unavailable", func(gs *v1alpha1.GitSource) bool {
		return condition(gs, v1alpha1.ConditionSourceAvailable) == metav1.ConditionFalse
	})
	if c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable); !strings.Contains(c.Message, "no-such-credentials") {
		t.Errorf("SourceAvailable message %q does not name the Secret", c.Message)
	}
}
