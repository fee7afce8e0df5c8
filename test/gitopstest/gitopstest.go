// Package gitopstest is what the suites that run a real GitOps controller beside driftgate
// (test/flux, test/argocd) share: the people and their RBAC, driftgate's decisions, a
// responder's hotfix under a grant, the audit of a repository, the ticket's report.
package gitopstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/report"
	"github.com/driftgate/driftgate/test/testenv"
)

// Options start driftgate with its grant controller and audit loop, and build the CLI (the
// suites run `driftgate backport`, `revert` and `report` as people do). Everyone may read
// Deployments, Flux's Kustomizations and GitRepositories, and request, approve and read grants
// and records (writing comes from a grant's Role); carol may write Deployments everywhere as far
// as RBAC goes: driftgate stops her.
func Options() testenv.Options {
	return testenv.Options{
		GrantController: true, Audit: true, CLI: true,
		ClusterRoles: []rbacv1.ClusterRole{{
			ObjectMeta: metav1.ObjectMeta{Name: "test-people"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
				{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits", "gitsources"}, Verbs: []string{"get", "list", "watch"}},
				// Where a discovered GitSource's Git is: revert reads it as the person.
				{APIGroups: []string{"kustomize.toolkit.fluxcd.io", "source.toolkit.fluxcd.io"}, Resources: []string{"kustomizations", "gitrepositories"}, Verbs: []string{"get"}},
			},
		}, {
			ObjectMeta: metav1.ObjectMeta{Name: "test-deployment-writer"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"update", "patch"}}},
		}},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
			testenv.Binding("test-people", "test-people", testenv.GroupSubject("system:authenticated")),
			testenv.Binding("test-carol-writes", "test-deployment-writer", testenv.UserSubject("carol")),
		},
	}
}

// Suite is the test cluster a suite runs its GitOps controller against, and the Git server it
// syncs from.
type Suite struct {
	Cluster *testenv.Cluster
	Git     *testutil.GitServer
	// setupErr is why the controller could not be started; every test fails with it.
	setupErr error
}

// Web is the Deployment web in ns, as the tests' apps name it.
func (s Suite) Web(t *testing.T, ns string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := s.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// HotfixImage is the image a responder's Hotfix sets.
const HotfixImage = "registry.example.com/web:v1-hotfix"

// Hotfix: alice gets a grant for Deployments in ns (bob approves) and sets web's image to
// HotfixImage under it, with a patch as `kubectl set image` sends it.
func (s Suite) Hotfix(t *testing.T, ns, ticket string) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := s.Cluster.ApprovedGrant(t, s.Cluster.Person(t, "alice"), s.Cluster.Person(t, "bob", "driftgate-approvers"), breakglass.Request{
		Namespaces: []string{ns}, Resources: []string{"deployments.apps"}, Duration: time.Hour,
		Ticket: ticket, Reason: "web is crash-looping on v1"}, "")
	s.Cluster.WaitCached(t, g.Name, "Active", testenv.Active)
	alice := s.Cluster.Person(t, "alice").Client
	testutil.WaitFor(t, "alice's fix under her grant", func() bool {
		d := &appsv1.Deployment{}
		if err := alice.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
			return false
		}
		before := d.DeepCopy()
		d.Spec.Template.Spec.Containers[0].Image = HotfixImage
		return alice.Patch(context.Background(), d, client.StrategicMergeFrom(before), client.FieldOwner("kubectl-set")) == nil
	})
	return g
}

// GitSource has driftgate audit the repository (its bare directory) every second and returns
// the GitSource's name.
func (s Suite) GitSource(t *testing.T, dir string) string {
	t.Helper()
	gs := &v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{GenerateName: "gitops-"},
		Spec: v1alpha1.GitSourceSpec{URL: dir, Interval: metav1.Duration{Duration: time.Second}}}
	if err := s.Cluster.AdminActor(t).Client.Create(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Cluster.AdminActor(t).Client.Delete(context.Background(), gs) })
	return gs.Name
}

// TicketReport is `driftgate report --ticket` of the cluster's grants, edits and sources.
func (s Suite) TicketReport(t *testing.T, ticket string) report.Report {
	t.Helper()
	var grants v1alpha1.BreakGlassGrantList
	var edits v1alpha1.BreakGlassEditList
	var sources v1alpha1.GitSourceList
	for _, list := range []client.ObjectList{&grants, &edits, &sources} {
		if err := s.Cluster.AdminActor(t).Client.List(context.Background(), list); err != nil {
			t.Fatal(err)
		}
	}
	r, err := report.Build(report.Input{Ticket: ticket, Now: time.Now(), Grants: grants.Items, Edits: edits.Items, Sources: sources.Items})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Decisions are driftgate's admission decisions on GitOps-owned objects so far, by result.
func (s Suite) Decisions(t *testing.T) map[string]float64 {
	t.Helper()
	families, err := s.Cluster.Driftgate.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "driftgate_admission_decisions_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			// Only the ownership policy's decisions: people's and driftgate's writes to grants,
			// records and GitSources carry their resource.
			if label(m, "resource") == "" {
				out[label(m, "result")] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// NoneRefused fails the test when driftgate denied or failed any request since before (what
// names them), or saw none: it was not in the way.
func (s Suite) NoneRefused(t *testing.T, before map[string]float64, what string) {
	t.Helper()
	after := s.Decisions(t)
	for _, result := range []string{"denied", "error"} {
		if n := after[result] - before[result]; n != 0 {
			t.Errorf("driftgate answered %.0f of the %s requests %s (decisions before %v, after %v)", n, what, result, before, after)
		}
	}
	if n := after["allowed"] - before["allowed"]; n == 0 {
		t.Errorf("driftgate saw none of the %s writes (decisions %v): the webhook is not in the way", what, after)
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// App is the tests' app as Git holds it: a Namespace, a ConfigMap and the Deployment web.
type App struct {
	Namespace, Image string
	// Replicas of web; 0 means 1.
	Replicas        int
	NamespaceLabels map[string]string
}

// WriteApp writes the app's manifests into dir, replacing what is there.
func WriteApp(t *testing.T, dir string, a App) {
	t.Helper()
	ns := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", a.Namespace)
	if len(a.NamespaceLabels) > 0 {
		ns += "  labels:\n"
		for k, v := range a.NamespaceLabels {
			ns += fmt.Sprintf("    %s: %q\n", k, v)
		}
	}
	files := map[string]string{
		"namespace.yaml":  ns,
		"configmap.yaml":  fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: %s\ndata:\n  LOG_LEVEL: info\n", a.Namespace),
		"deployment.yaml": WebDeployment(a.Namespace, max(a.Replicas, 1), a.Image),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// WebDeployment is the manifest of the Deployment web (one container, web) in ns; ns "" leaves
// the namespace out.
func WebDeployment(ns string, replicas int, image string) string {
	meta := "  name: web\n"
	if ns != "" {
		meta += "  namespace: " + ns + "\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
%sspec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: %s
`, meta, replicas, image)
}

// Repo is an app's Git work tree and the URL of the repository it is pushed to.
type Repo struct{ Work, URL string }

// SyncedApp writes the app into a new work tree and pushes it to a new repository on the suite's
// Git server, named after its namespace; sync has the GitOps controller apply it, and a
// GitSource audits the repository.
func (s Suite) SyncedApp(t *testing.T, a App, sync func(t *testing.T, name, url string)) Repo {
	t.Helper()
	r := Repo{Work: t.TempDir()}
	WriteApp(t, r.Work, a)
	r.URL = s.Git.Push(t, a.Namespace, r.Work)
	sync(t, a.Namespace, r.URL)
	s.GitSource(t, s.Git.Dir(a.Namespace))
	return r
}
