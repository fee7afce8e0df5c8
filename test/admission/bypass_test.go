package admission_test

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// tokenActor creates a service account in ns bound to the ClusterRole role there and acts with
// its own token: a person whose credential is real (a CI job, a person's own service account).
func tokenActor(t *testing.T, ns, name, role string) *actor {
	t.Helper()
	ctx := context.Background()
	cs := cluster.AdminActor(t).CS
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{testenv.ServiceAccountSubject(ns, name)},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().RoleBindings(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = cs.CoreV1().ServiceAccounts(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(cluster.Admin)
	cfg.BearerToken = tr.Status.Token
	return &actor{cluster.NewActor(t, "system:serviceaccount:"+ns+":"+name, cfg)}
}

// waitAllowed waits until RBAC lets user (in groups) do what attrs says: a new binding reaches
// the API server's authorizer a moment after it is created.
func waitAllowed(t *testing.T, attrs authorizationv1.ResourceAttributes, user string, groups ...string) {
	t.Helper()
	cs := cluster.AdminActor(t).CS
	testutil.WaitFor(t, user+" allowed to "+attrs.Verb+" "+attrs.Resource, func() bool {
		sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &attrs},
		}, metav1.CreateOptions{})
		return err == nil && sar.Status.Allowed
	})
}

// TestStatusWritesCannotChangeMetadata: a status update carries the object's metadata. Changing
// a marker, a pause switch, the mode label or other metadata through it is decided like any
// write; a status write that changes only .status (what controllers do) goes through.
func TestStatusWritesCannotChangeMetadata(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, nil)
	argo := serviceAccount(t, testenv.ArgoCD)
	argo.create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
	alice := person(t, "alice")
	controller := tokenActor(t, ns, "status-writer", "test-status-writer")

	tests := []struct {
		name   string
		who    *actor
		change func(d *metav1.ObjectMeta)
		want   string // "" allowed
	}{
		{"removing the tracking id", alice, func(m *metav1.ObjectMeta) { delete(m.Annotations, argoMarker) }, "is owned by"},
		{"adding a pause switch", alice, func(m *metav1.ObjectMeta) { m.Annotations["argocd.argoproj.io/sync-options"] = "Prune=false" }, "pause switch"},
		{"another annotation", alice, func(m *metav1.ObjectMeta) { m.Annotations["example.com/x"] = "1" }, "is owned by"},
		{"a controller's status only", controller, func(*metav1.ObjectMeta) {}, ""},
		{"a controller removing the tracking id", controller, func(m *metav1.ObjectMeta) { delete(m.Annotations, argoMarker) }, "is owned by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := admin(t).getDeployment(t, ns, "checkout")
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			tt.change(&d.ObjectMeta)
			d.Status.ObservedGeneration++
			err := tt.who.Client.Status().Update(ctx, d)
			if tt.want == "" {
				wantAllowed(t, tt.name, err)
				return
			}
			wantDenied(t, tt.name, err, tt.want)
		})
	}
	if got := admin(t).getDeployment(t, ns, "checkout").Annotations[argoMarker]; got == "" {
		t.Error("the tracking id is gone")
	}

	// The mode label through namespaces/status.
	nsObj := &corev1.Namespace{}
	if err := cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	if nsObj.Labels == nil {
		nsObj.Labels = map[string]string{}
	}
	nsObj.Labels["driftgate.io/mode"] = "dryrun"
	wantDenied(t, "the mode label through namespaces/status", alice.Client.Status().Update(ctx, nsObj), "driftgate mode switch")
}

// TestWornGitOpsNameIsAPerson: a person allowed to impersonate service accounts where Flux's
// lives (the built-in edit role allows it) writes as a person when wearing Flux's name; Flux
// with its own token is Flux. Same for a system controller's name.
func TestWornGitOpsNameIsAPerson(t *testing.T) {
	ctx := context.Background()
	ns := namespace(t, nil)
	flux := serviceAccount(t, testenv.Flux)
	flux.create(t, deployment(ns, "checkout", fluxOwned(), nil))

	mallory := tokenActor(t, ns, "mallory", "test-impersonator")
	for _, key := range []string{testenv.Flux, testenv.GarbageCollector} {
		// mallory may impersonate the service account: bound in its namespace.
		sans := cluster.ServiceAccountNamespace(key)
		rb := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: sans, Name: "mallory-" + ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-impersonator"},
			Subjects:   []rbacv1.Subject{testenv.ServiceAccountSubject(ns, "mallory")},
		}
		cs := cluster.AdminActor(t).CS
		if _, err := cs.RbacV1().RoleBindings(sans).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cs.RbacV1().RoleBindings(sans).Delete(context.Background(), rb.Name, metav1.DeleteOptions{})
		})

		waitAllowed(t, authorizationv1.ResourceAttributes{Namespace: sans, Verb: "impersonate", Resource: "serviceaccounts", Name: cluster.ServiceAccountName(key)},
			"system:serviceaccount:"+ns+":mallory", "system:serviceaccounts", "system:serviceaccounts:"+ns)
		cfg := rest.CopyConfig(mallory.Config)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: cluster.UserName(key)}
		worn := &actor{cluster.NewActor(t, cluster.UserName(key)+" (worn by mallory)", cfg)}
		d := worn.getDeployment(t, ns, "checkout")
		d.Spec.Replicas = ptr.To[int32](7)
		wantDenied(t, "mallory wearing "+key, worn.Client.Update(ctx, d), "impersonated, so it counts as a person")
	}

	d := flux.getDeployment(t, ns, "checkout")
	d.Spec.Replicas = ptr.To[int32](3)
	wantAllowed(t, "Flux with its own token", flux.Client.Update(ctx, d))
}
