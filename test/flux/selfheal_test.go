package flux_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/report"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// TestBreakGlassFixSurvivesSelfHeal: under a grant, alice changes the image of a Deployment Flux
// applies. driftgate sets Flux's reconcile switch on it while the edit is Required, so three
// reconciles of the Kustomization leave her fix live; committing it to Git makes it Backported,
// and the switch is lifted (Flux reconciles the object again).
func TestBreakGlassFixSurvivesSelfHeal(t *testing.T) {
	suite.Need(t)
	const ns, name = "heal", "heal"
	repo := suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"}, fluxSync)

	g := suite.Hotfix(t, ns, "INC-7")

	testutil.WaitFor(t, "the self-heal protection on the Deployment", func() bool {
		d := suite.Web(t, ns)
		return d.Annotations[protect.FluxReconcile] == "disabled" && d.Annotations[protect.ProtectedTickets] == "INC-7"
	})
	testutil.WaitFor(t, "the edit saying it is held, with driftgate's finalizer, and the object counted", func() bool {
		held := protectionOf(t, g.Name)
		return held.reason == protect.ReasonHeld && held.finalizer && protectedObjects(t) == 1
	})
	if items := suite.TicketReport(t, "INC-7").Verdict.OpenItems; len(items) != 1 || items[0].SelfHeal == nil || !items[0].SelfHeal.Protected {
		t.Errorf("the report's open items %+v do not say the fix is protected", items)
	}
	for i := range 3 {
		reconcile(t, name, fmt.Sprintf("survive-%d", i))
		if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1-hotfix" {
			t.Fatalf("after Flux's reconcile %d the image is %q: the fix was undone", i+1, img)
		}
	}

	// Git moves on while the object is paused: the report says what Flux will apply later.
	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1", Replicas: 3})
	testutil.CommitPush(t, repo.Work, repo.URL, "web: 3 replicas")
	testutil.WaitFor(t, "the report listing the Git change waiting for the pause", func() bool {
		items := suite.TicketReport(t, "INC-7").Verdict.OpenItems
		return len(items) == 1 && len(items[0].Waiting) == 1 && slices.Equal(items[0].Waiting[0].Paths, []string{"spec.replicas"})
	})
	reconcile(t, name, "paused")
	if n := *suite.Web(t, ns).Spec.Replicas; n != 1 {
		t.Fatalf("Flux applied replicas %d to the paused Deployment", n)
	}

	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1-hotfix", Replicas: 3})
	testutil.CommitPush(t, repo.Work, repo.URL, "INC-7: the hotfix image")
	commit := testutil.Git(t, repo.Work, "rev-parse", "HEAD")
	testutil.WaitFor(t, "alice's edit Backported", func() bool {
		edits := openEdits(t, g.Name)
		return len(edits) == 0
	})
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || len(e.Status.Revision) < 7 || !strings.HasPrefix(commit, e.Status.Revision) {
		t.Errorf("alice's edit is %s at revision %q, want Backported at the backport's commit %s", e.Status.Backport, e.Status.Revision, commit)
	}
	testutil.WaitFor(t, "the protection lifted", func() bool {
		_, held := suite.Web(t, ns).Annotations[protect.FluxReconcile]
		return !held
	})
	testutil.WaitFor(t, "the edit saying the protection is lifted", func() bool {
		p := protectionOf(t, g.Name)
		return p.reason == protect.ReasonLifted && !p.finalizer && protectedObjects(t) == 0
	})
	reconcile(t, name, "after")
	if n := *suite.Web(t, ns).Spec.Replicas; n != 3 {
		t.Errorf("after the pause Flux left replicas %d, want Git's 3", n)
	}
}

// TestDeletedRecordLiftsProtection: an admin deletes the record of a Required edit while its
// object is held; driftgate's finalizer keeps the record until the protection is lifted, so no
// pause outlives its reason.
func TestDeletedRecordLiftsProtection(t *testing.T) {
	suite.Need(t)
	ctx := context.Background()
	const ns, name = "deleted", "deleted"
	suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"}, fluxSync)

	g := suite.Hotfix(t, ns, "INC-9")
	testutil.WaitFor(t, "the self-heal protection on the Deployment", func() bool {
		return suite.Web(t, ns).Annotations[protect.FluxReconcile] == "disabled" && protectionOf(t, g.Name).finalizer
	})
	admin := suite.Cluster.AdminActor(t).Client
	for _, e := range openEdits(t, g.Name) {
		if err := admin.Delete(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	testutil.WaitFor(t, "the records gone and the protection lifted", func() bool {
		_, held := suite.Web(t, ns).Annotations[protect.FluxReconcile]
		return !held && len(suite.Cluster.Edits(t, g.Name)) == 0
	})
	reconcile(t, name, "after-delete")
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1" {
		t.Errorf("after the protection was lifted Flux's reconcile left the image %q, want Git's registry.example.com/web:v1", img)
	}
}

// heldState is what an edit says about its self-heal protection.
type heldState struct {
	reason    string
	finalizer bool
}

// protectionOf is the protection state of the grant's (only) edit.
func protectionOf(t *testing.T, grant string) heldState {
	t.Helper()
	edits := suite.Cluster.Edits(t, grant)
	if len(edits) != 1 {
		t.Fatalf("grant %s has %d edits, want 1", grant, len(edits))
	}
	var out heldState
	if c := apimeta.FindStatusCondition(edits[0].Status.Conditions, protect.ConditionType); c != nil {
		out.reason = c.Reason
	}
	out.finalizer = slices.Contains(edits[0].Finalizers, protect.Finalizer)
	return out
}

// protectedObjects is driftgate_self_heal_protected_objects.
func protectedObjects(t *testing.T) float64 {
	t.Helper()
	families, err := suite.Cluster.Grants().Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "driftgate_self_heal_protected_objects" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no driftgate_self_heal_protected_objects metric")
	return 0
}

// reconcile asks Flux to fetch the GitRepository and then reconcile the Kustomization now, and
// waits until each has handled that request (status.lastHandledReconcileAt), as
// `flux reconcile kustomization --with-source` does.
func reconcile(t *testing.T, name, token string) {
	t.Helper()
	requestReconcile(t, "source.toolkit.fluxcd.io/v1", "GitRepository", name, token)
	requestReconcile(t, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, token)
}

func requestReconcile(t *testing.T, apiVersion, kind, name, token string) {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion(apiVersion)
	obj.SetKind(kind)
	obj.SetNamespace(fluxNamespace)
	obj.SetName(name)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"reconcile.fluxcd.io/requestedAt":%q}}}`, token)
	if err := admin.Patch(ctx, obj, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
	testutil.WaitWithin(t, "Flux handling reconcile request "+token+" of "+kind+" "+name, 2*time.Minute, func() bool {
		got := obj.DeepCopy()
		if err := admin.Get(ctx, client.ObjectKey{Namespace: fluxNamespace, Name: name}, got); err != nil {
			return false
		}
		handled, _, _ := unstructured.NestedString(got.Object, "status", "lastHandledReconcileAt")
		return handled == token
	})
}

// openEdits are the grant's edits still Required.
func openEdits(t *testing.T, grant string) []v1alpha1.BreakGlassEdit {
	t.Helper()
	var out []v1alpha1.BreakGlassEdit
	for _, e := range suite.Cluster.Edits(t, grant) {
		if e.Open() {
			out = append(out, e)
		}
	}
	return out
}

// TestUnprotectedFixIsUndone: in a namespace whose Git labels opt out of self-heal protection,
// Flux's next reconcile puts Git's image back over alice's fix, and the audit marks her edit
// Reverted by kustomize-controller: what protection prevents. The ticket's report does not say
// READY TO CLOSE: the fix is gone without anyone deciding so.
func TestUnprotectedFixIsUndone(t *testing.T) {
	suite.Need(t)
	ctx := context.Background()
	const ns, name = "unprotected", "unprotected"
	suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1", NamespaceLabels: map[string]string{protect.OptOutLabel: "off"}}, fluxSync)

	g := suite.Hotfix(t, ns, "INC-8")

	reconcile(t, name, "undo")
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1" {
		t.Fatalf("after Flux's reconcile the image is %q, want Git's registry.example.com/web:v1 (the namespace opted out)", img)
	}
	if _, held := suite.Web(t, ns).Annotations[protect.FluxReconcile]; held {
		t.Error("the Deployment carries Flux's reconcile switch in a namespace that opted out")
	}
	if p := protectionOf(t, g.Name); p.reason != protect.ReasonOptedOut || p.finalizer {
		t.Errorf("the edit says %+v, want reason %s and no finalizer", p, protect.ReasonOptedOut)
	}
	var undone v1alpha1.BreakGlassEdit
	testutil.WaitFor(t, "alice's edit Reverted", func() bool {
		var list v1alpha1.BreakGlassEditList
		if err := suite.Cluster.AdminActor(t).Client.List(ctx, &list); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Spec.Grant == g.Name && e.Status.Backport == v1alpha1.Reverted {
				undone = e
				return true
			}
		}
		return false
	})
	by := undone.Status.RevertedBy
	if by == nil || by.FieldManager != "kustomize-controller" || !by.GitOps || by.User != "" || by.Time == nil {
		t.Errorf("revertedBy = %+v, want kustomize-controller, a GitOps controller, with the time of its write", by)
	}

	if r := suite.TicketReport(t, "INC-8"); r.Verdict.Ready || r.Verdict.Summary != report.SummaryReview || len(r.Verdict.Undone) != 1 || r.Verdict.Undone[0].By != "kustomize-controller" {
		t.Errorf("report verdict = %+v, want %s naming kustomize-controller: Flux undid the fix, nobody decided to", r.Verdict, report.SummaryReview)
	}
}
