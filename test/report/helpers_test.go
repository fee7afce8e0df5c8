package report_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/test/testenv"
)

const approvers = "driftgate-approvers"

// ownedDeployment has Argo CD create a Deployment it owns.
func ownedDeployment(t *testing.T, ns, name string) {
	t.Helper()
	sel := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Annotations: map[string]string{"argocd.argoproj.io/tracking-id": "checkout:apps/Deployment:" + ns + "/" + name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/checkout:v1.2.3"}}},
			},
		},
	}
	if err := cluster.ServiceAccount(t, testenv.ArgoCD).Client.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

// update has a change the Deployment; it returns the API server's answer.
func update(t *testing.T, a *testenv.Actor, ns, name string, change func(*appsv1.Deployment)) error {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	change(d)
	return a.Client.Update(context.Background(), d)
}

// activeGrant: alice requests a grant for ticket, bob approves, and driftgate's webhook sees it
// Active.
func activeGrant(t *testing.T, ns, ticket string) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := cluster.ApprovedGrant(t, cluster.Person(t, "alice"), cluster.Person(t, "bob", approvers), breakglass.Request{
		Namespaces: []string{ns}, Resources: []string{"deployments.apps"}, Duration: time.Hour,
		Ticket: ticket, Reason: "checkout pods OOMKilled, raising the memory limit",
	}, "paged in")
	return cluster.WaitCached(t, g.Name, "Active", testenv.Active)
}

// resolve sets an edit's status as driftgate's audit would: only driftgate writes it.
func resolve(t *testing.T, e *v1alpha1.BreakGlassEdit, status v1alpha1.BreakGlassEditStatus) {
	t.Helper()
	c := cluster.ServiceAccount(t, testenv.Self).Client
	ctx := context.Background()
	if err := c.Get(ctx, client.ObjectKey{Name: e.Name}, e); err != nil {
		t.Fatal(err)
	}
	e.Status = status
	if err := c.Status().Update(ctx, e); err != nil {
		t.Fatalf("setting the status of edit %s as driftgate: %v", e.Name, err)
	}
}

// gitSource creates a GitSource whose last audit found drift on the Deployment ns/name.
func gitSource(t *testing.T, ns, name string, paths ...string) {
	t.Helper()
	ctx := context.Background()
	c := cluster.AdminActor(t).Client
	src := &v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{GenerateName: "apps-"}, Spec: v1alpha1.GitSourceSpec{URL: "file:///srv/gitops"}}
	if err := c.Create(ctx, src); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), src) })
	src.Status = v1alpha1.GitSourceStatus{Revision: "3b0406bf9c1a", DriftedObjects: []v1alpha1.DriftedObject{{
		APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name, Status: "drifted", Paths: paths, FirstSeen: metav1.Now(),
	}}}
	if err := c.Status().Update(ctx, src); err != nil {
		t.Fatal(err)
	}
}
