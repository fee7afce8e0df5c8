package breakglass_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

const approvers = "driftgate-approvers"

func argoOwned(ns, name string) map[string]string {
	return map[string]string{"argocd.argoproj.io/tracking-id": "checkout:apps/Deployment:" + ns + "/" + name}
}

// ownedDeployment has Argo CD create a Deployment it owns.
func ownedDeployment(t *testing.T, ns, name string) {
	t.Helper()
	sel := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: argoOwned(ns, name)},
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

// setImage has a update the Deployment's image; it returns the API server's answer.
func setImage(t *testing.T, a *testenv.Actor, ns, name, image string, opts ...client.UpdateOption) error {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	d.Spec.Template.Spec.Containers[0].Image = image
	return a.Client.Update(context.Background(), d, opts...)
}

// request has alice request a grant.
func request(t *testing.T, alice *testenv.Actor, ns string, resources []string, d time.Duration) *v1alpha1.BreakGlassGrant {
	t.Helper()
	return cluster.RequestGrant(t, alice, breakglass.Request{
		Namespaces: []string{ns}, Resources: resources, Duration: d,
		Ticket: "INC-4242", Reason: "checkout pods OOMKilled, raising the memory limit",
	})
}

// activeGrant: alice requests, bob approves, and driftgate's webhook sees the grant Active.
func activeGrant(t *testing.T, ns string, resources []string, d time.Duration) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := request(t, cluster.Person(t, "alice"), ns, resources, d)
	if _, err := cluster.Person(t, "bob", approvers).Ops().Approve(context.Background(), g.Name, ""); err != nil {
		t.Fatal(err)
	}
	return cluster.WaitCached(t, g.Name, "Active", testenv.Active)
}

// waitPhase waits until the API server holds the grant in phase.
func waitPhase(t *testing.T, name string, phase v1alpha1.GrantPhase) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := &v1alpha1.BreakGlassGrant{}
	c := cluster.AdminActor(t).Client
	testutil.WaitFor(t, "grant "+name+" "+string(phase), func() bool {
		return c.Get(context.Background(), client.ObjectKey{Name: name}, g) == nil && g.Status.Phase == phase
	})
	return g
}

func roleBindingExists(t *testing.T, ns, grant string) bool {
	t.Helper()
	err := cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: breakglass.RoleBindingName(grant)}, &rbacv1.RoleBinding{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func wantDenied(t *testing.T, what string, err error, fragment string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want denied", what)
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), fragment) {
		t.Fatalf("%s: got %v, want Forbidden containing %q", what, err, fragment)
	}
}

func wantAllowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
