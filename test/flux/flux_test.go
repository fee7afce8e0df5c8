package flux_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/fluxstatus"
	"github.com/driftgate/driftgate/internal/testutil"
)

// TestFluxSyncsThroughDriftgate: Flux applies the example app from Git, through driftgate's
// webhook, with its own token: every object lands, and driftgate denied none of Flux's requests
// (dry runs, applies, its inventory). A person's edit of what Flux applied is denied.
func TestFluxSyncsThroughDriftgate(t *testing.T) {
	suite.Need(t)
	ctx := context.Background()
	url, work := pushExample(t, "shop")
	before := suite.Decisions(t)
	applyFlux(t, "shop", url, "./")

	d := &appsv1.Deployment{}
	if err := suite.Cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "checkout"}, d); err != nil {
		t.Fatalf("Flux did not create the Deployment: %v", err)
	}
	if d.Labels["kustomize.toolkit.fluxcd.io/name"] != "shop" {
		t.Errorf("the Deployment's labels %v lack Flux's", d.Labels)
	}
	suite.NoneRefused(t, before, "Flux sync")

	d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/checkout:hotfix"
	err := suite.Cluster.Person(t, "carol").Client.Update(ctx, d)
	if err == nil || !strings.Contains(err.Error(), "is owned by Flux Kustomization flux-system/shop") {
		t.Fatalf("carol's edit of Flux's Deployment: %v, want driftgate's denial", err)
	}

	// Git changes the image and drops the ConfigMap: Flux updates and prunes, undisturbed by
	// carol's denied edit, and driftgate denies none of it.
	before = suite.Decisions(t)
	replaceIn(t, filepath.Join(work, "deployment.yaml"), "registry.example.com/checkout:v1.2.3", "registry.example.com/checkout:v1.2.4")
	replaceIn(t, filepath.Join(work, "kustomization.yaml"), "  - configmap.yaml\n", "")
	testutil.CommitPush(t, work, url, "checkout v1.2.4, no ConfigMap")
	reconcile(t, "shop", "update-and-prune")
	if s := kustomization(t, "shop"); !s.Ready {
		t.Fatalf("the Kustomization after the update is not Ready: %s", s)
	}
	if err := suite.Cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "checkout"}, d); err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/checkout:v1.2.4" {
		t.Errorf("Flux left the image %q, want Git's v1.2.4", img)
	}
	var cms corev1.ConfigMapList
	if err := suite.Cluster.AdminActor(t).Client.List(ctx, &cms, client.InNamespace("shop"), client.HasLabels{"kustomize.toolkit.fluxcd.io/name"}); err != nil {
		t.Fatal(err)
	}
	if len(cms.Items) != 0 {
		t.Errorf("Flux did not prune the ConfigMap Git dropped: %d left", len(cms.Items))
	}
	suite.NoneRefused(t, before, "Flux update and prune")
}

// replaceIn replaces old by new in the file, once; the test fails when old is not there.
func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pushExample makes a Git repository of examples/checkout, its namespace shop renamed ns, on the
// test's Git server, and returns its URL.
func pushExample(t *testing.T, ns string) (url, work string) {
	t.Helper()
	dir := filepath.Join(repoRoot(), "examples", "checkout")
	work = t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, e.Name()), []byte(strings.ReplaceAll(string(raw), "shop", ns)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return suite.Git.Push(t, ns, work), work
}

// applyFlux creates a GitRepository and a Kustomization named name in flux-system, as a
// platform engineer does, and waits until Flux has applied the path: Ready.
func applyFlux(t *testing.T, name, url, path string) {
	t.Helper()
	applyKustomization(t, name, url, map[string]any{"path": path})
}

// applyKustomization is applyFlux with more of the Kustomization's spec (path included).
func applyKustomization(t *testing.T, name, url string, spec map[string]any) {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	repo := object("source.toolkit.fluxcd.io/v1", "GitRepository", name, map[string]any{
		"url": url, "interval": "10s", "ref": map[string]any{"branch": "main"},
	})
	ksSpec := map[string]any{
		"interval": "10s", "prune": true, "timeout": "1m",
		"sourceRef": map[string]any{"kind": "GitRepository", "name": name},
	}
	maps.Copy(ksSpec, spec)
	ks := object("kustomize.toolkit.fluxcd.io/v1", "Kustomization", name, ksSpec)
	for _, o := range []*unstructured.Unstructured{repo, ks} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetKind(), name, err)
		}
	}
	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Kustomization %s: %s\nsource-controller:\n%s\nkustomize-controller:\n%s", name, last, flux.log("source-controller"), flux.log("kustomize-controller"))
		}
	})
	testutil.WaitWithin(t, "Flux applying "+name, 3*time.Minute, func() bool {
		s := kustomization(t, name)
		last = s.String()
		return s.Ready
	})
}

// kustomization is what the Kustomization's status says; the zero Status while it cannot be read.
func kustomization(t *testing.T, name string) fluxstatus.Status {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetAPIVersion("kustomize.toolkit.fluxcd.io/v1")
	got.SetKind("Kustomization")
	if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: fluxNamespace, Name: name}, got); err != nil {
		return fluxstatus.Status{}
	}
	return fluxstatus.Read(got)
}

func object(apiVersion, kind, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(fluxNamespace)
	u.SetName(name)
	return u
}

// repoRoot is the module root, found from the test's working directory (test/flux).
func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

// TestNoDriftAfterFluxSync: right after Flux applies the example app, driftgate's audit of the
// same repository finds every object in sync. Flux applies native kinds with their scheme
// defaults set, so its field manager owns fields Git never wrote (a Deployment's strategy, a
// port's protocol); those are not drift.
func TestNoDriftAfterFluxSync(t *testing.T) {
	suite.Need(t)
	url, _ := pushExample(t, "nodrift")
	applyFlux(t, "nodrift", url, "./")
	name := suite.GitSource(t, suite.Git.Dir("nodrift"))
	var gs v1alpha1.GitSource
	testutil.WaitFor(t, "the audit of the synced repository", func() bool {
		return suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: name}, &gs) == nil &&
			gs.Status.Counts.Objects > 0 && gs.Status.LastSuccessfulAuditTime != nil
	})
	if gs.Status.Counts.Drifted != 0 || gs.Status.Counts.Missing != 0 {
		t.Errorf("after a clean Flux sync the audit reports %+v; drifted: %+v", gs.Status.Counts, gs.Status.DriftedObjects)
	}
}

// fluxSync has Flux apply the repository's root (gitopstest.Suite.SyncedApp).
func fluxSync(t *testing.T, name, url string) { applyFlux(t, name, url, "./") }
