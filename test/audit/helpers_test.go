package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

const approvers = "driftgate-approvers"

// repo is a Git repository on a temporary directory, written with go-git.
type repo struct {
	dir string
	r   *git.Repository
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	return &repo{dir: dir, r: r}
}

// commit writes the file and commits it; it returns the commit's short revision.
func (g *repo) commit(t *testing.T, file, content, msg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, err := g.r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Add(file); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "ci", Email: "ci@example.com", When: time.Now()}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()[:12]
}

// deployment is the manifest of a Flux-owned Deployment.
func deployment(ns, name, image, memory string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[2]s
  namespace: %[1]s
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
spec:
  replicas: 2
  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: app
        image: %[3]s
        resources:
          limits: {memory: %[4]s}
`, ns, name, image, memory)
}

// fluxApply applies a manifest as Flux's kustomize-controller does: server-side apply, its
// field manager, its service account.
func fluxApply(t *testing.T, manifest string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	c := cluster.ServiceAccount(t, testenv.Flux).Client
	if err := c.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(u),
		client.FieldOwner("kustomize-controller"), client.ForceOwnership); err != nil {
		t.Fatalf("applying as Flux: %v", err)
	}
}

// gitSource creates a GitSource for the repository; it is deleted when the test ends.
func gitSource(t *testing.T, url string, interval time.Duration) string {
	t.Helper()
	return gitSourceWith(t, v1alpha1.GitSourceSpec{URL: url, Interval: metav1.Duration{Duration: interval}})
}

// gitSourceWith creates a GitSource with the spec; it is deleted when the test ends.
func gitSourceWith(t *testing.T, spec v1alpha1.GitSourceSpec) string {
	t.Helper()
	gs := &v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}, Spec: spec}
	c := cluster.AdminActor(t).Client
	if err := c.Create(context.Background(), gs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), gs) })
	return gs.Name
}

// waitSource waits until the GitSource's status satisfies cond.
func waitSource(t *testing.T, name, what string, cond func(*v1alpha1.GitSource) bool) *v1alpha1.GitSource {
	t.Helper()
	gs := &v1alpha1.GitSource{}
	c := cluster.AdminActor(t).Client
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("GitSource %s status at the end: %+v", name, gs.Status)
		}
	})
	testutil.WaitFor(t, "GitSource "+name+": "+what, func() bool {
		return c.Get(context.Background(), client.ObjectKey{Name: name}, gs) == nil && cond(gs)
	})
	return gs
}

func condition(gs *v1alpha1.GitSource, typ string) metav1.ConditionStatus {
	if c := apimeta.FindStatusCondition(gs.Status.Conditions, typ); c != nil {
		return c.Status
	}
	return ""
}

func ready(gs *v1alpha1.GitSource) bool {
	return condition(gs, v1alpha1.ConditionReady) == metav1.ConditionTrue
}

// driftedObject returns the status entry of a Deployment, if it is listed.
func driftedObject(gs *v1alpha1.GitSource, ns, name string) (v1alpha1.DriftedObject, bool) {
	for _, o := range gs.Status.DriftedObjects {
		if o.Kind == "Deployment" && o.Namespace == ns && o.Name == name {
			return o, true
		}
	}
	return v1alpha1.DriftedObject{}, false
}

// activeGrant: alice requests a grant for the ticket, bob approves, the webhook sees it Active.
func activeGrant(t *testing.T, ns, ticket string) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := cluster.ApprovedGrant(t, cluster.Person(t, "alice"), cluster.Person(t, "bob", approvers), breakglass.Request{
		Namespaces: []string{ns}, Resources: []string{"deployments.apps"}, Duration: time.Hour,
		Ticket: ticket, Reason: "checkout pods OOMKilled"}, "")
	return cluster.WaitCached(t, g.Name, "Active", testenv.Active)
}

// edit has a person change the Deployment and returns the record of the write.
func edit(t *testing.T, a *testenv.Actor, ns, name string, change func(*appsv1.Deployment)) v1alpha1.BreakGlassEdit {
	t.Helper()
	known := recordNames(t)
	d := &appsv1.Deployment{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	before := d.DeepCopy()
	change(d)
	// A patch, as kubectl edit and set send it: no resourceVersion precondition, so driftgate's own
	// writes to the object (the self-heal protection's annotations) do not make it conflict.
	if err := a.Client.Patch(context.Background(), d, client.StrategicMergeFrom(before), client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatalf("%s's edit: %v", a.Name, err)
	}
	var list v1alpha1.BreakGlassEditList
	if err := cluster.AdminActor(t).Client.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Items {
		if !known[e.Name] && e.Spec.Object.Namespace == ns && e.Spec.Object.Name == name {
			return e
		}
	}
	t.Fatalf("no record of %s's edit of %s/%s", a.Name, ns, name)
	return v1alpha1.BreakGlassEdit{}
}

func recordNames(t *testing.T) map[string]bool {
	t.Helper()
	var list v1alpha1.BreakGlassEditList
	if err := cluster.AdminActor(t).Client.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range list.Items {
		out[e.Name] = true
	}
	return out
}

// waitBackport waits until the edit's backport state is want.
func waitBackport(t *testing.T, name string, want v1alpha1.BackportState) *v1alpha1.BreakGlassEdit {
	t.Helper()
	e := &v1alpha1.BreakGlassEdit{}
	c := cluster.AdminActor(t).Client
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("edit %s at the end: %+v", name, e.Status)
		}
	})
	testutil.WaitFor(t, "edit "+name+" "+string(want), func() bool {
		return c.Get(context.Background(), client.ObjectKey{Name: name}, e) == nil && e.Status.Backport == want &&
			e.Status.ObservedGeneration > 0
	})
	return e
}

// bindWriter lets user write Deployments in ns without a grant (RBAC only: driftgate still decides).
func bindWriter(t *testing.T, ns, user string) {
	t.Helper()
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "writer-" + user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: writerRole},
		Subjects:   []rbacv1.Subject{testenv.UserSubject(user)},
	}
	if err := cluster.AdminActor(t).Client.Create(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
}

func clientKey(name string) client.ObjectKey { return client.ObjectKey{Name: name} }

// syncedDeployment commits a Flux-owned Deployment to a new repository, applies it as Flux,
// points a GitSource at the repository and waits until the audit finds it in sync.
func syncedDeployment(t *testing.T, ns, name, image, memory string) *repo {
	t.Helper()
	g := newRepo(t)
	g.commit(t, name+".yaml", deployment(ns, name, image, memory), name)
	fluxApply(t, deployment(ns, name, image, memory))
	src := gitSource(t, g.dir, time.Second)
	waitSource(t, src, "ready and in sync", func(gs *v1alpha1.GitSource) bool {
		return ready(gs) && gs.Status.Counts.InSync >= 1 && gs.Status.Counts.Drifted == 0
	})
	return g
}
