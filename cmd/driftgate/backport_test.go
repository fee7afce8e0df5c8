package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/server"
	"github.com/driftgate/driftgate/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// helmRepo commits backport's Helm test repository (a HelmRelease manifest in apps/, the chart
// in charts/web with values files) on main, at a fixed time so its commit is always the same.
func helmRepo(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(filepath.Join("..", "..", "backport", "testdata", "golden", "helm"))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_AUTHOR_DATE", "2026-12-06T10:00:00Z")
	t.Setenv("GIT_COMMITTER_DATE", "2026-12-06T10:00:00Z")
	testutil.Git(t, work, "init", "-q", "-b", "main")
	testutil.Git(t, work, "add", ".")
	testutil.Git(t, work, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "the fleet")
	return work
}

func uobj(apiVersion, kind, ns, name string, labels map[string]string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: fields}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetLabels(labels)
	return u
}

// TestBackportHelmRelease runs driftgate backport --dry-run for the edits of a HelmRelease
// source against a fake API server: the HelmRelease (applied by a Flux Kustomization from a
// GitRepository), its HelmChart of a chart in the same repository with values files, and the
// edited Deployment. The output says where each value goes, or why it cannot be written.
func TestBackportHelmRelease(t *testing.T) {
	repo := helmRepo(t)
	chartSpec := map[string]any{"chart": "./charts/web", "sourceRef": map[string]any{"kind": "GitRepository", "name": "fleet", "namespace": "flux-system"},
		"valuesFiles": []any{"charts/web/values.yaml", "charts/web/values-prod.yaml"}}
	objs := []client.Object{
		&v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{Name: "helmrelease.shop.web"},
			Spec: v1alpha1.GitSourceSpec{SourceRef: &v1alpha1.GitOpsReference{Kind: v1alpha1.SourceKindHelmRelease, Namespace: "shop", Name: "web"}}},
		uobj("helm.toolkit.fluxcd.io/v2", "HelmRelease", "shop", "web",
			map[string]string{kustomizationNameLabel: "apps", kustomizationNamespaceLabel: "flux-system"},
			map[string]any{"spec": map[string]any{"interval": "1m", "chart": map[string]any{"spec": chartSpec},
				"values": map[string]any{"replicaCount": int64(2), "logLevel": "warn"}},
				"status": map[string]any{"helmChart": "flux-system/shop-web"}}),
		uobj("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", "apps", nil,
			map[string]any{"spec": map[string]any{"path": "./apps", "sourceRef": map[string]any{"kind": "GitRepository", "name": "fleet"}}}),
		uobj("source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", "fleet", nil,
			map[string]any{"spec": map[string]any{"url": repo, "ref": map[string]any{"branch": "main"}}}),
		uobj("source.toolkit.fluxcd.io/v1", "HelmChart", "flux-system", "shop-web", nil, map[string]any{"spec": chartSpec}),
		// Live: alice's three edits.
		uobj("apps/v1", "Deployment", "shop", "web", nil, map[string]any{"spec": map[string]any{
			"replicas": int64(4), "minReadySeconds": int64(10),
			"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "registry.example.com/web:v1.2.4"}}}}}}),
		&v1alpha1.BreakGlassGrant{ObjectMeta: metav1.ObjectMeta{Name: "inc-7-alice"},
			Spec: v1alpha1.BreakGlassGrantSpec{Requester: "alice", Ticket: "INC-7", Approvals: []v1alpha1.Approval{{User: "bob"}}}},
	}
	for i, c := range []struct{ path, old, new string }{
		{"spec.replicas", `2`, `4`},
		{"spec.template.spec.containers[name=web].image", `"registry.example.com/web:v1.2.3"`, `"registry.example.com/web:v1.2.4"`},
		{"spec.minReadySeconds", `5`, `10`},
	} {
		objs = append(objs, &v1alpha1.BreakGlassEdit{ObjectMeta: metav1.ObjectMeta{Name: "inc-7-alice-" + string(rune('1'+i))},
			Spec: v1alpha1.BreakGlassEditSpec{Grant: "inc-7-alice", Ticket: "INC-7", User: "alice", Operation: "UPDATE",
				Time:    metav1.NewTime(time.Date(2026, 12, 6, 10, 5, i, 0, time.UTC)),
				Object:  v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: "shop", Name: "web"},
				Changes: []v1alpha1.FieldChange{{Path: c.path, Old: &apiextensionsv1.JSON{Raw: []byte(c.old)}, New: &apiextensionsv1.JSON{Raw: []byte(c.new)}}}},
			Status: v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired, GitSource: "helmrelease.shop.web", OpenPaths: []string{c.path}}})
	}
	scheme, err := server.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	var out bytes.Buffer
	o := &backportOptions{ticket: "INC-7", output: "text", dryRun: true}
	err = backportWith(context.Background(), &out, o, c, object.Signature{Name: "Alice", Email: "alice@example.com"}, nil)
	if code := (exitCode(0)); !errors.As(err, &code) || code != 1 {
		t.Errorf("exit: %v, want exit status 1 (an edit not written)", err)
	}
	testutil.Golden(t, filepath.Join("testdata", "backport-helm.golden"), out.String(), *update, "./cmd/driftgate")
}
