package flux_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// templatedApp is an app whose Flux Kustomization does the work: the manifests leave out the
// namespace (targetNamespace), the replicas (a patch) and the image tag and greeting (postBuild
// variables, inline and from a ConfigMap).
func templatedApp(image string) map[string]string {
	return map[string]string{
		"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n- configmap.yaml\n",
		"app/configmap.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  GREETING: ${GREETING}  # from the vars ConfigMap\n",
		"app/deployment.yaml":    gitopstest.WebDeployment("", 1, image),
	}
}

// templatedRepo pushes templatedApp (image tag from WEB_TAG) to a repository named ns, has a
// Flux Kustomization ns apply it into namespace ns with a patch to 2 replicas, WEB_TAG v1 and
// GREETING from a ConfigMap, and waits until Flux applied it and driftgate's GitSource for the
// Kustomization audited it at Flux's revision, in sync. It returns the work tree, the URL and
// the GitSource's name.
func templatedRepo(t *testing.T, ns string) (work, url, source string) {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	vars := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: fluxNamespace, Name: ns + "-vars"}, Data: map[string]string{"GREETING": "hello"}}
	if err := admin.Create(ctx, vars); err != nil {
		t.Fatal(err)
	}
	work = t.TempDir()
	testutil.WriteFiles(t, work, templatedApp("registry.example.com/web:${WEB_TAG}"))
	url = suite.Git.Push(t, ns, work)
	applyKustomization(t, ns, url, map[string]any{
		"path": "./app", "targetNamespace": ns,
		"patches": []any{map[string]any{
			"patch":  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
			"target": map[string]any{"kind": "Deployment", "name": "web"},
		}},
		"postBuild": map[string]any{
			"substitute":     map[string]any{"WEB_TAG": "v1"},
			"substituteFrom": []any{map[string]any{"kind": "ConfigMap", "name": ns + "-vars"}},
		},
	})
	if d := suite.Web(t, ns); *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Image != "registry.example.com/web:v1" {
		t.Fatalf("Flux applied replicas %d, image %s: not what the Kustomization makes", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
	}
	source = loop.DiscoveredName(v1alpha1.SourceKindKustomization, fluxNamespace, ns)
	s := suite.WaitAudit(t, source, "the discovered source's audit of what Flux applied", func(s v1alpha1.GitSourceStatus) bool {
		c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
		return s.Counts.Objects == 2 && s.SourceKind == v1alpha1.SourceKindKustomization && c != nil && c.Status == metav1.ConditionTrue
	})
	if s.Counts.InSync != 2 || s.Counts.Drifted != 0 || s.Counts.Pending != 0 {
		t.Errorf("right after Flux applied, the audit reports %+v:\n%s", s.Counts, gitopstest.Drifted(s))
	}
	if s.Sync == nil || s.Sync.Failing || !strings.HasPrefix(s.Sync.AppliedRevision, "main@sha1:"+s.Revision) {
		t.Errorf("status.sync = %+v at revision %s, want Flux's applied revision", s.Sync, s.Revision)
	}
	return work, url, source
}

// TestKustomizationIsAuditedWithoutGitSource: driftgate audits what a Flux Kustomization applies
// (targetNamespace, a patch, postBuild substitution) without anyone declaring a GitSource: the
// GitSource it keeps for the Kustomization finds everything in sync after Flux applies it, a
// person's edit under a grant as drift at its path, and the backport commit makes the edit
// Backported at that commit.
func TestKustomizationIsAuditedWithoutGitSource(t *testing.T) {
	suite.Need(t)
	const ns = "discovered"
	work, url, name := templatedRepo(t, ns)

	g := suite.Hotfix(t, ns, "INC-20")
	const image = "spec.template.spec.containers[name=web].image"
	s := suite.WaitAudit(t, name, "alice's fix reported as drift", func(s v1alpha1.GitSourceStatus) bool {
		return s.Counts.Drifted == 1
	})
	if got := gitopstest.DriftedPaths(s)["Deployment "+ns+"/web"]; !slices.Equal(got, []string{image}) {
		t.Errorf("drifted paths of the Deployment = %v, want [%s]", got, image)
	}
	testutil.WaitFor(t, "alice's edit Required, decided by the discovered source", func() bool {
		e := suite.Cluster.Edits(t, g.Name)
		return len(e) == 1 && e[0].Status.Backport == v1alpha1.BackportRequired && e[0].Status.GitSource == name
	})

	// The backport: Git now holds alice's image.
	testutil.WriteFiles(t, work, templatedApp(gitopstest.HotfixImage))
	testutil.CommitPush(t, work, url, "INC-20: the hotfix image")
	commit := testutil.Git(t, work, "rev-parse", "HEAD")
	reconcile(t, ns, "backport")
	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || len(e.Status.Revision) < 7 || !strings.HasPrefix(commit, e.Status.Revision) {
		t.Errorf("alice's edit is %s at revision %q, want Backported at the backport's commit %s", e.Status.Backport, e.Status.Revision, commit)
	}
	suite.WaitAudit(t, name, "the source in sync at the backport", func(s v1alpha1.GitSourceStatus) bool {
		return s.Counts.InSync == 2 && strings.HasPrefix(commit, s.Revision)
	})
}

// TestFailingSyncIsPendingNotDrift: Git adds a key to a ConfigMap and an object of a kind the
// cluster does not serve, so kustomize-controller cannot apply the revision (its dry run fails,
// and it applies nothing of it). driftgate reports the source's sync failing with Flux's reason,
// and what Git changed as pending: no person is blamed.
func TestFailingSyncIsPendingNotDrift(t *testing.T) {
	suite.Need(t)
	const ns = "failing"
	work, url, name := templatedRepo(t, ns)

	app := templatedApp("registry.example.com/web:${WEB_TAG}")
	app["app/configmap.yaml"] += "  COLOR: blue\n"
	app["app/widget.yaml"] = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: nowhere\n"
	app["app/kustomization.yaml"] += "- widget.yaml\n"
	testutil.WriteFiles(t, work, app)
	testutil.CommitPush(t, work, url, "a colour and a Widget the cluster does not serve")
	s := suite.WaitAudit(t, name, "the sync reported failing", func(s v1alpha1.GitSourceStatus) bool {
		c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
		return c != nil && c.Reason == loop.ReasonSyncFailing && s.Counts.Pending == 2
	})
	if s.Counts.Drifted != 0 || s.Counts.Missing != 0 {
		t.Errorf("a failing sync is blamed on someone: %+v\n%s", s.Counts, gitopstest.Drifted(s))
	}
	if s.Sync == nil || !s.Sync.Failing || s.Sync.AppliedRevision == s.Sync.AttemptedRevision || s.Sync.Message == "" {
		t.Errorf("status.sync = %+v, want failing with the revision tried, the one applied and Flux's message", s.Sync)
	}
	for _, o := range s.DriftedObjects {
		if o.Status != "pending" {
			t.Errorf("%s %s/%s is %s, want pending", o.Kind, o.Namespace, o.Name, o.Status)
		}
	}
}

// writeFiles writes files (slash-separated path → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testutil.WriteFiles(t, dir, files)
}
