package argocd_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/report"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// application creates an Argo CD Application syncing url's root into the cluster Argo CD runs in,
// automated with prune and selfHeal, and waits until Argo CD has synced Git's head. serverSide
// has Argo CD diff and apply server-side (ServerSideDiff, ServerSideApply) instead of its
// client-side default.
func application(t *testing.T, name, url string, serverSide bool) {
	t.Helper()
	app := argoApp(name, "", map[string]any{"repoURL": url, "targetRevision": "main", "path": "."}, nil)
	if serverSide {
		options, _, _ := unstructured.NestedSlice(app.Object, "spec", "syncPolicy", "syncOptions")
		if err := unstructured.SetNestedSlice(app.Object, append(options, "ServerSideApply=true"), "spec", "syncPolicy", "syncOptions"); err != nil {
			t.Fatal(err)
		}
		app.SetAnnotations(map[string]string{"argocd.argoproj.io/compare-options": "ServerSideDiff=true"})
	}
	createApp(t, app)
	waitSynced(t, name, testutil.Git(t, "", "ls-remote", url, "main"))
}

// argoApp is an Application of one source into namespace ns (none: the manifests name theirs),
// automated with prune and selfHeal; extra is merged into its spec. Pruning is in the background:
// the test control plane runs no garbage collector, which Argo CD's default (foreground) leaves a
// pruned object waiting for.
func argoApp(name, ns string, src, extra map[string]any) *unstructured.Unstructured {
	dest := map[string]any{"server": "https://kubernetes.default.svc"}
	if ns != "" {
		dest["namespace"] = ns
	}
	spec := map[string]any{
		"project":     "default",
		"source":      src,
		"destination": dest,
		"syncPolicy": map[string]any{"automated": map[string]any{"prune": true, "selfHeal": true},
			"syncOptions": []any{"PrunePropagationPolicy=background"}},
	}
	for k, v := range extra {
		spec[k] = v
	}
	app := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	app.SetNamespace(argoNamespace)
	app.SetName(name)
	return app
}

// createApp creates the Application; a failing test logs its status and Argo CD's logs.
func createApp(t *testing.T, app *unstructured.Unstructured) {
	t.Helper()
	name := app.GetName()
	if err := suite.Cluster.AdminActor(t).Client.Create(context.Background(), app); err != nil {
		t.Fatalf("creating Application %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Application %s: %v\nrepo server:\n%s\napplication controller:\n%s", name, appStatus(t, name),
				argo.log("argocd-repo-server"), argo.log("argocd-application-controller"))
		}
	})
}

// waitSynced waits until the Application has synced the commit (ls-remote output or a hash).
func waitSynced(t *testing.T, name, commit string) {
	t.Helper()
	commit, _, _ = strings.Cut(commit, "\t")
	refresh(t, name)
	testutil.WaitWithin(t, "Argo CD syncing "+name+" at "+commit, 3*time.Minute, func() bool {
		st := appStatus(t, name)
		sync, _ := st["sync"].(map[string]any)
		op, _ := st["operationState"].(map[string]any)
		return sync["status"] == "Synced" && sync["revision"] == commit && op["phase"] == "Succeeded"
	})
}

// refresh asks Argo CD to compare the Application with Git's head now, as `argocd app get
// --refresh` does.
func refresh(t *testing.T, name string) {
	t.Helper()
	app := &unstructured.Unstructured{}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	app.SetNamespace(argoNamespace)
	app.SetName(name)
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`)
	if err := suite.Cluster.AdminActor(t).Client.Patch(context.Background(), app, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
}

func appObject(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	app := &unstructured.Unstructured{}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: argoNamespace, Name: name}, app); err != nil {
		t.Fatal(err)
	}
	return app
}

func appStatus(t *testing.T, name string) map[string]any {
	t.Helper()
	st, _, _ := unstructured.NestedMap(appObject(t, name).Object, "status")
	return st
}

// TestArgoSyncsThroughDriftgate: Argo CD applies an app from Git through driftgate's webhook
// with its own token, updates it and prunes what Git drops, with its client-side apply and with
// server-side diff and apply (whose diffs are dry-run applies through admission); driftgate
// denies none of its requests, and the audit of the same repository finds every object in sync.
// A person's edit of what Argo CD applied is denied.
func TestArgoSyncsThroughDriftgate(t *testing.T) {
	suite.Need(t)
	for _, tt := range []struct {
		name       string
		serverSide bool
	}{{"client-side", false}, {"server-side", true}} {
		t.Run(tt.name, func(t *testing.T) {
			syncsThroughDriftgate(t, "argo-"+tt.name, tt.serverSide)
		})
	}
}

func syncsThroughDriftgate(t *testing.T, name string, serverSide bool) {
	ctx := context.Background()
	ns := name
	work := t.TempDir()
	gitopstest.WriteApp(t, work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"})
	url := suite.Git.Push(t, name, work)
	before := suite.Decisions(t)
	application(t, name, url, serverSide)
	suite.NoneRefused(t, before, "sync")
	inSync(t, suite.GitSource(t, suite.Git.Dir(name)))

	d := suite.Web(t, ns)
	if id := d.Annotations["argocd.argoproj.io/tracking-id"]; !strings.HasPrefix(id, name+":") {
		t.Errorf("the Deployment's tracking id is %q, want Argo CD's for %s", id, name)
	}
	d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/web:hotfix"
	err := suite.Cluster.Person(t, "carol").Client.Update(ctx, d)
	if err == nil || !strings.Contains(err.Error(), `is owned by Argo CD application "`+name+`"`) {
		t.Fatalf("carol's edit of Argo CD's Deployment: %v, want driftgate's denial", err)
	}

	before = suite.Decisions(t)
	gitopstest.WriteApp(t, work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v2"})
	if err := os.Remove(filepath.Join(work, "configmap.yaml")); err != nil {
		t.Fatal(err)
	}
	testutil.CommitPush(t, work, url, "v2, no ConfigMap")
	waitSynced(t, name, testutil.Git(t, work, "rev-parse", "HEAD"))
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v2" {
		t.Errorf("Argo CD left the image %q, want Git's v2", img)
	}
	testutil.WaitFor(t, "Argo CD pruning the ConfigMap Git dropped", func() bool {
		return apierrors.IsNotFound(suite.Cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &corev1.ConfigMap{}))
	})
	suite.NoneRefused(t, before, "update and prune")
}

// TestArgoFixSurvivesSelfHeal: under a grant, alice changes the image of a Deployment Argo CD
// applies with selfHeal. driftgate pauses the Application while the edit is Required, so her fix
// outlives several of Argo CD's comparison windows; committing it to Git makes it Backported,
// the pause is lifted, and a later Git change is applied by Argo CD again.
func TestArgoFixSurvivesSelfHeal(t *testing.T) {
	suite.Need(t)
	const ns, name = "argo-heal", "argo-heal"
	repo := suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"}, argoSync)

	g := suite.Hotfix(t, ns, "INC-21")
	testutil.WaitFor(t, "the Application paused for alice's edit", func() bool {
		ann := appObject(t, name).GetAnnotations()
		return ann[protect.ArgoSkipReconcile] == "true" && ann[protect.ProtectedTickets] == "INC-21" && protectionOf(t, g.Name) == protect.ReasonHeld
	})
	// Argo CD compares every 2 s and self-heals at once; three windows pass.
	for i := range 3 {
		time.Sleep(2500 * time.Millisecond)
		if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1-hotfix" {
			t.Fatalf("after %d of Argo CD's windows the image is %q: the fix was undone", i+1, img)
		}
	}

	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1-hotfix"})
	testutil.CommitPush(t, repo.Work, repo.URL, "INC-21: the hotfix image")
	commit := testutil.Git(t, repo.Work, "rev-parse", "HEAD")
	testutil.WaitFor(t, "alice's edit Backported", func() bool {
		e := onlyEdit(t, g.Name)
		return e.Status.Backport == v1alpha1.Backported && strings.HasPrefix(commit, e.Status.Revision)
	})
	testutil.WaitFor(t, "the pause lifted", func() bool {
		_, paused := appObject(t, name).GetAnnotations()[protect.ArgoSkipReconcile]
		return !paused && protectionOf(t, g.Name) == protect.ReasonLifted
	})

	gitopstest.WriteApp(t, repo.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1-hotfix", Replicas: 3})
	testutil.CommitPush(t, repo.Work, repo.URL, "web: 3 replicas")
	waitSynced(t, name, testutil.Git(t, repo.Work, "rev-parse", "HEAD"))
	if n := *suite.Web(t, ns).Spec.Replicas; n != 3 {
		t.Errorf("after the pause Argo CD left replicas %d, want Git's 3", n)
	}
}

// TestArgoUnprotectedFixIsUndone: in a namespace whose Git labels opt out of self-heal
// protection, Argo CD's selfHeal puts Git's image back over alice's fix, and the audit marks her
// edit Reverted by argocd-controller; the ticket's report does not say READY TO CLOSE.
func TestArgoUnprotectedFixIsUndone(t *testing.T) {
	suite.Need(t)
	const ns, name = "argo-undone", "argo-undone"
	suite.SyncedApp(t, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1", NamespaceLabels: map[string]string{protect.OptOutLabel: "off"}}, argoSync)

	g := suite.Hotfix(t, ns, "INC-22")
	testutil.WaitFor(t, "Argo CD undoing alice's fix, and the audit seeing it Reverted", func() bool {
		return onlyEdit(t, g.Name).Status.Backport == v1alpha1.Reverted
	})
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1" {
		t.Errorf("the image is %q, want Git's v1 put back by Argo CD", img)
	}
	if _, paused := appObject(t, name).GetAnnotations()[protect.ArgoSkipReconcile]; paused {
		t.Error("the Application was paused in a namespace that opted out")
	}
	by := onlyEdit(t, g.Name).Status.RevertedBy
	if by == nil || by.FieldManager != "argocd-controller" || !by.GitOps || by.User != "" {
		t.Errorf("revertedBy = %+v, want argocd-controller, a GitOps controller", by)
	}
	if r := suite.TicketReport(t, "INC-22"); r.Verdict.Ready || r.Verdict.Summary != report.SummaryReview || len(r.Verdict.Undone) != 1 || r.Verdict.Undone[0].By != "argocd-controller" {
		t.Errorf("report verdict = %+v, want %s naming argocd-controller", r.Verdict, report.SummaryReview)
	}
}

// onlyEdit is the grant's one edit.
func onlyEdit(t *testing.T, grant string) v1alpha1.BreakGlassEdit {
	t.Helper()
	edits := suite.Cluster.Edits(t, grant)
	if len(edits) != 1 {
		t.Fatalf("grant %s has %d edits, want 1", grant, len(edits))
	}
	return edits[0]
}

// protectionOf is the self-heal protection's reason on the grant's edit.
func protectionOf(t *testing.T, grant string) string {
	t.Helper()
	e := onlyEdit(t, grant)
	if c := apimeta.FindStatusCondition(e.Status.Conditions, protect.ConditionType); c != nil {
		return c.Reason
	}
	return ""
}

// inSync waits for the GitSource's first audit and fails the test unless every object Git
// declares is in sync and nothing is orphaned: what Argo CD applies (its tracking id, its
// last-applied annotation, the defaults of its apply) is no drift.
func inSync(t *testing.T, name string) {
	t.Helper()
	var gs v1alpha1.GitSource
	testutil.WaitFor(t, "the audit of the synced repository", func() bool {
		return suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: name}, &gs) == nil &&
			gs.Status.Counts.Objects > 0 && gs.Status.LastSuccessfulAuditTime != nil
	})
	if c := gs.Status.Counts; c.Drifted != 0 || c.Missing != 0 || c.Orphaned != 0 || c.InSync != c.Objects {
		t.Errorf("after a clean Argo CD sync the audit reports %+v; drifted: %+v", c, gs.Status.DriftedObjects)
	}
}

// argoSync has Argo CD apply the repository's root (gitopstest.Suite.SyncedApp).
func argoSync(t *testing.T, name, url string) { application(t, name, url, false) }
