package flux_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// TestFluxWhileDriftgateIsDown: with driftgate's webhook stopped, Flux cannot apply a new Git
// revision to the objects it owns (the webhook fails closed) and they keep their state; started
// again, Flux's next reconcile applies it. With the grant controller stopped while an edit is
// resolved, the protection stays (nobody lifts it) until the controller starts again: then it
// is lifted, none left behind.
func TestFluxWhileDriftgateIsDown(t *testing.T) {
	suite.Need(t)
	ctx := context.Background()
	const ns, name = "down", "down"
	repo := suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"}, fluxSync)

	suite.Cluster.StopDriftgate()
	t.Cleanup(func() {
		if err := suite.Cluster.StartDriftgate(ctx); err != nil {
			t.Error(err)
		}
	})
	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v2"})
	testutil.CommitPush(t, repo.Work, repo.URL, "v2")
	testutil.WaitWithin(t, "Flux failing to apply v2 with driftgate down", 2*time.Minute, func() bool {
		s := kustomization(t, name)
		return !s.Ready && strings.Contains(s.Message, "driftgate")
	})
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1" {
		t.Fatalf("with driftgate down the image became %q, want v1 kept", img)
	}
	if err := suite.Cluster.StartDriftgate(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.WaitWithin(t, "Flux applying v2 once driftgate is back", 2*time.Minute, func() bool {
		return suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image == "registry.example.com/web:v2"
	})

	g := suite.Hotfix(t, ns, "INC-10")
	testutil.WaitFor(t, "the self-heal protection on the Deployment", func() bool {
		return protectionOf(t, g.Name).reason == protect.ReasonHeld
	})
	suite.Cluster.StopGrantController()
	t.Cleanup(func() {
		if err := suite.Cluster.StartGrantController(ctx); err != nil {
			t.Error(err)
		}
	})
	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1-hotfix"})
	testutil.CommitPush(t, repo.Work, repo.URL, "INC-10: the hotfix image")
	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if suite.Web(t, ns).Annotations[protect.FluxReconcile] != "disabled" {
		t.Fatal("the protection was lifted with the grant controller stopped: the test cannot tell a restart lifts it")
	}
	if err := suite.Cluster.StartGrantController(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the protection lifted after the restart", func() bool {
		_, held := suite.Web(t, ns).Annotations[protect.FluxReconcile]
		return !held && protectionOf(t, g.Name).reason == protect.ReasonLifted
	})
}
