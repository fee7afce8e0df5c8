package flux_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// storefrontObjects is how many objects the storefront's repository holds (its kustomization
// aside).
const storefrontObjects = 15

// TestNoDriftAfterFluxSyncOfManyKinds: the real kustomize-controller applies an app written the
// way people write one (the drift corpus's storefront, test/fixtures/drift/_apps/storefront/repo,
// which its real-Flux cases were made from: a Namespace, a Deployment, a StatefulSet with
// volumeClaimTemplates, a LoadBalancer Service and a headless one without port protocols or
// targetPorts, a ConfigMap, a Secret with stringData and data, a CronJob, an Ingress with
// pathTypes, an HPA (autoscaling/v2), a PodDisruptionBudget, a NetworkPolicy, a ServiceAccount,
// a Role and a RoleBinding; defaults left out), and driftgate's audit of the same repository
// finds every object in sync: nothing Flux adds on the way (its typed form of each kind, its
// labels, Secret stringData turned into data) reads as drift. Then the admin edits two fields as kubectl edit does (the namespace is in
// dryrun mode, so driftgate lets the admin through; the Kustomization is suspended, so Flux
// does not undo them) and the audit reports exactly those two paths.
func TestNoDriftAfterFluxSyncOfManyKinds(t *testing.T) {
	suite.Need(t)
	ctx := context.Background()
	const name, ns = "storefront", "storefront"
	work := t.TempDir()
	copyDir(t, filepath.Join(repoRoot(), "test", "fixtures", "drift", "_apps", "storefront", "repo"), work)
	url := suite.Git.Push(t, name, work)
	applyFlux(t, name, url, "./")
	gs := suite.GitSource(t, suite.Git.Dir(name))

	got := suite.WaitAudit(t, gs, "the audit of the synced storefront", func(s v1alpha1.GitSourceStatus) bool {
		return s.Counts.InSync+s.Counts.Drifted+s.Counts.Missing == storefrontObjects
	})
	if c := got.Counts; c.Drifted != 0 || c.Missing != 0 || c.InSync != storefrontObjects {
		t.Fatalf("after a clean Flux sync the audit counts %+v, want %d in sync; not in sync:\n%s", c, storefrontObjects, gitopstest.Drifted(got))
	}
	checkOrphans(t, got)

	suspend(t, name)
	admin := suite.Cluster.AdminActor(t).Client
	kubectlEdit := client.FieldOwner("kubectl-edit")
	cm := &corev1.ConfigMap{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["LOG_LEVEL"] = "debug"
	if err := admin.Update(ctx, cm, kubectlEdit); err != nil {
		t.Fatalf("the admin's edit of the ConfigMap: %v", err)
	}
	ing := &networkingv1.Ingress{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, ing); err != nil {
		t.Fatal(err)
	}
	ing.Spec.Rules[0].Host = "shop-failover.example.com"
	if err := admin.Update(ctx, ing, kubectlEdit); err != nil {
		t.Fatalf("the admin's edit of the Ingress: %v", err)
	}

	want := map[string][]string{
		"ConfigMap storefront/web": {"data.LOG_LEVEL"},
		"Ingress storefront/web":   {"spec.rules[0].host"},
	}
	got = suite.WaitAudit(t, gs, "the audit seeing the admin's edits", func(s v1alpha1.GitSourceStatus) bool {
		return s.Counts.Drifted == len(want)
	})
	if diff := cmp.Diff(want, gitopstest.DriftedPaths(got)); diff != "" {
		t.Errorf("drifted paths after the admin's edits (-want +got):\n%s\ncounts %+v", diff, got.Counts)
	}
	if c := got.Counts; c.InSync != storefrontObjects-len(want) || c.Missing != 0 {
		t.Errorf("after the admin's edits the audit counts %+v, want %d in sync", c, storefrontObjects-len(want))
	}
	checkOrphans(t, got)
}

// checkOrphans fails the test on any orphan: every object Flux applied from this Git is in it,
// and other Kustomizations' objects of the same kinds (in this suite, the Namespaces shop and
// nodrift that earlier tests had Flux create) carry another Kustomization's marker, so they are
// not this GitSource's orphans.
func checkOrphans(t *testing.T, s v1alpha1.GitSourceStatus) {
	t.Helper()
	for _, o := range s.DriftedObjects {
		if o.Status == "orphaned" {
			t.Errorf("the audit reports %s %s/%s orphaned: Flux applied it from the same Git, or it is another Kustomization's", o.Kind, o.Namespace, o.Name)
		}
	}
	if s.Counts.Orphaned != 0 {
		t.Errorf("the audit counts %d orphaned, want 0", s.Counts.Orphaned)
	}
}

// copyDir copies the files of dir (not its subdirectories) into dst.
func copyDir(t *testing.T, dir, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// suspend stops Flux reconciling the Kustomization name (spec.suspend), as `flux suspend
// kustomization` does, and waits until the controller has seen it (it then records the
// generation as observed), so no reconcile already under way writes after it.
func suspend(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	ks := &unstructured.Unstructured{}
	ks.SetAPIVersion("kustomize.toolkit.fluxcd.io/v1")
	ks.SetKind("Kustomization")
	ks.SetNamespace(fluxNamespace)
	ks.SetName(name)
	patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"suspend":true}}`))
	if err := admin.Patch(ctx, ks, patch); err != nil {
		t.Fatalf("suspending Kustomization %s: %v", name, err)
	}
	generation := ks.GetGeneration()
	testutil.WaitFor(t, "kustomize-controller seeing Kustomization "+name+" suspended", func() bool {
		got := ks.DeepCopy()
		if err := admin.Get(ctx, client.ObjectKey{Namespace: fluxNamespace, Name: name}, got); err != nil {
			return false
		}
		observed, _, _ := unstructured.NestedInt64(got.Object, "status", "observedGeneration")
		return observed >= generation
	})
}
