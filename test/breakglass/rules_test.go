package breakglass_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

const image = "registry.example.com/checkout:v9"

func TestExpiredGrantAllowsNothingWithControllerStopped(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	g := activeGrant(t, ns, []string{"deployments.apps"}, 3*time.Second)
	cluster.StopGrantController()
	t.Cleanup(func() {
		if err := cluster.StartGrantController(ctx); err != nil {
			t.Fatal(err)
		}
	})
	// Wait, by the clock, until the grant is past its expiry; nothing moves it to Expired.
	testutil.WaitFor(t, "the grant's expiry to pass", func() bool { return time.Now().After(g.Status.ExpiresAt.Add(time.Second)) })
	stale := waitPhase(t, g.Name, v1alpha1.GrantActive)
	if !roleBindingExists(t, ns, g.Name) {
		t.Fatalf("the RoleBinding of %s is gone with the controller stopped (phase %s)", g.Name, stale.Status.Phase)
	}
	// RBAC still lets alice write; driftgate does not.
	err := setImage(t, cluster.Person(t, "alice"), ns, "checkout", image)
	wantDenied(t, "write under an expired grant nobody cleaned up", err, "holds no active break-glass grant")
}

// TestRevokedGrantDeniesAtOnce: driftgate denies writes under a revoked grant itself, before the
// grant controller removes its RoleBinding (stopped here, so RBAC still lets alice write).
func TestRevokedGrantDeniesAtOnce(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	g := activeGrant(t, ns, []string{"deployments.apps"}, time.Hour)
	alice := cluster.Person(t, "alice")
	testutil.WaitFor(t, "alice's RBAC from the grant", func() bool { return setImage(t, alice, ns, "checkout", image) == nil })

	cluster.StopGrantController()
	running := false
	start := func() {
		if !running {
			running = true
			if err := cluster.StartGrantController(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(start)
	if _, err := alice.Ops().Revoke(ctx, g.Name, "fixed"); err != nil {
		t.Fatal(err)
	}
	cluster.WaitCached(t, g.Name, "revoked", func(g *v1alpha1.BreakGlassGrant) bool { return g.Spec.Revocation != nil })
	if !roleBindingExists(t, ns, g.Name) {
		t.Fatalf("the RoleBinding of %s is gone with the controller stopped", g.Name)
	}
	err := setImage(t, alice, ns, "checkout", image+"-2")
	wantDenied(t, "write after revocation", err, "holds no active break-glass grant")

	start()
	waitPhase(t, g.Name, v1alpha1.GrantRevoked)
	testutil.WaitFor(t, "the RoleBinding of the revoked grant to go", func() bool { return !roleBindingExists(t, ns, g.Name) })
}

func TestGrantRequestRules(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	valid := func() breakglass.Request {
		return breakglass.Request{Namespaces: []string{ns}, Resources: []string{"deployments.apps"}, Duration: time.Hour, Ticket: "INC-1", Reason: "r"}
	}
	tests := []struct {
		name      string
		requester string
		mutate    func(*breakglass.Request)
		want      string
	}{
		{"requester from the body", "bob", nil, `spec.requester "bob": a grant is requested by its requester, and you are "alice"`},
		{"no reason", "", func(r *breakglass.Request) { r.Reason = " " }, "spec.reason is required"},
		{"ticket pattern", "", func(r *breakglass.Request) { r.Ticket = "JIRA-1" }, `does not match the required pattern ^INC-[0-9]+$`},
		{"too long", "", func(r *breakglass.Request) { r.Duration = 5 * time.Hour }, "at most 4h0m0s"},
		{"kube-system", "", func(r *breakglass.Request) { r.Namespaces = []string{"kube-system"} }, `"kube-system" cannot be covered`},
		{"own resources", "", func(r *breakglass.Request) { r.Resources = []string{"breakglassgrants.driftgate.io"} }, "driftgate's own"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			if tt.mutate != nil {
				tt.mutate(&r)
			}
			o := cluster.Person(t, "alice").Ops()
			if tt.requester != "" {
				o.User = tt.requester // the body claims someone else
			}
			_, err := o.Request(context.Background(), r)
			wantDenied(t, tt.name, err, tt.want)
		})
	}
}

func TestGrantsAreChangedOnlyByTheRules(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	alice, admin := cluster.Person(t, "alice"), cluster.AdminActor(t)
	g := waitPhase(t, request(t, alice, ns, []string{"deployments.apps"}, time.Hour).Name, v1alpha1.GrantPending)

	widened := g.DeepCopy()
	widened.Spec.Scope.Namespaces = append(widened.Spec.Scope.Namespaces, "default")
	wantDenied(t, "alice widening her grant", alice.Client.Update(ctx, widened), "immutable")

	forged := g.DeepCopy()
	forged.Status.Phase, forged.Status.ExpiresAt = v1alpha1.GrantActive, &metav1.Time{Time: time.Now().Add(time.Hour)}
	wantDenied(t, "an admin writing a grant's status", admin.Client.Status().Update(ctx, forged), "only driftgate writes the status")

	edit := &v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "forged-"},
		Spec:       v1alpha1.BreakGlassEditSpec{User: "alice", Operation: "UPDATE", Time: metav1.Now(), RequestUID: "x", Object: v1alpha1.ObjectReference{Name: "x"}},
	}
	wantDenied(t, "an admin forging a record", admin.Client.Create(ctx, edit), "written only by driftgate")

	if _, err := cluster.Person(t, "bob", approvers).Ops().Deny(ctx, g.Name, "use Git"); err != nil {
		t.Fatal(err)
	}
	denied := waitPhase(t, g.Name, v1alpha1.GrantDenied)
	_, err := cluster.Person(t, "dave", approvers).Ops().Approve(ctx, denied.Name, "")
	wantDenied(t, "approving a denied grant", err, "never changes again")
}

func TestGrantScope(t *testing.T) {
	ctx := context.Background()
	a, b := cluster.Namespace(t, nil), cluster.Namespace(t, nil)
	ownedDeployment(t, a, "checkout")
	ownedDeployment(t, b, "checkout")
	activeGrant(t, a, []string{"configmaps"}, time.Hour)
	activeGrant(t, b, []string{"deployments.apps"}, time.Hour)
	alice := cluster.Person(t, "alice")
	// A grant's Role holds only what it names, so RBAC alone would stop alice in a. Here another
	// binding (a role she holds for other reasons) lets her write Deployments in a too: driftgate
	// decides on the grants themselves, and a configmaps grant in a does not cover Deployments.
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: a, Name: "alice-writes"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: writerRole},
		Subjects:   []rbacv1.Subject{testenv.UserSubject("alice")},
	}
	if err := cluster.AdminActor(t).Client.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "alice's RBAC in "+b, func() bool { return setImage(t, alice, b, "checkout", image) == nil })
	var err error
	testutil.WaitFor(t, "alice's RBAC in "+a, func() bool {
		err = setImage(t, alice, a, "checkout", image)
		return err != nil && strings.Contains(err.Error(), "validate.driftgate.io")
	})
	wantDenied(t, "deployments under a configmaps grant", err, "holds no active break-glass grant")
}

func TestConcurrentWritesAreAllRecorded(t *testing.T) {
	const n = 50
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	argocd := cluster.ServiceAccount(t, testenv.ArgoCD)
	for i := range n {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%02d", i), Annotations: argoOwned(ns, "cm")},
			Data: map[string]string{"LOG_LEVEL": "info"}}
		if err := argocd.Client.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	g := activeGrant(t, ns, []string{"configmaps"}, time.Hour)
	alice := cluster.Person(t, "alice")
	testutil.WaitFor(t, "alice's RBAC from the grant", func() bool {
		return alice.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cm-00"}, &corev1.ConfigMap{}) == nil &&
			allowed(ctx, alice, ns)
	})

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			cm := &corev1.ConfigMap{}
			if err := alice.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("cm-%02d", i)}, cm); err != nil {
				errs <- err
				return
			}
			cm.Data["LOG_LEVEL"] = "debug"
			errs <- alice.Client.Update(ctx, cm)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent break-glass write: %v", err)
		}
	}
	objects := map[string]int{}
	for _, e := range cluster.Edits(t, g.Name) {
		objects[e.Spec.Object.Name]++
	}
	if len(objects) != n {
		t.Errorf("records cover %d objects, want %d", len(objects), n)
	}
	for name, count := range objects {
		if count != 1 {
			t.Errorf("%s has %d records, want 1", name, count)
		}
	}
}

// allowed asks the API server whether alice may update configmaps in ns yet.
func allowed(ctx context.Context, a *testenv.Actor, ns string) bool {
	r := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "update", Resource: "configmaps"},
	}}
	return a.Client.Create(ctx, r) == nil && r.Status.Allowed
}

func TestUnrecordableWriteIsDenied(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	g := activeGrant(t, ns, []string{"deployments.apps"}, time.Hour)
	alice, admin := cluster.Person(t, "alice"), cluster.AdminActor(t)
	testutil.WaitFor(t, "alice's RBAC from the grant", func() bool { return setImage(t, alice, ns, "checkout", image) == nil })

	rb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: testenv.RecordsBinding}}
	if err := admin.Client.Delete(ctx, rb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.RestoreRecordsBinding(ctx); err != nil {
			t.Fatal(err)
		}
	})
	testutil.WaitFor(t, "driftgate to lose the right to create records", func() bool {
		r := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               cluster.UserName(testenv.Self),
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "driftgate.io", Verb: "create", Resource: "breakglassedits"},
		}}
		return admin.Client.Create(ctx, r) == nil && !r.Status.Allowed
	})
	before := len(cluster.Edits(t, g.Name))
	err := setImage(t, alice, ns, "checkout", image+"-unrecorded")
	wantDenied(t, "a write that cannot be recorded", err, "the record could not be written")
	if after := len(cluster.Edits(t, g.Name)); after != before {
		t.Errorf("records went from %d to %d", before, after)
	}
}

func TestDryRunLeavesNoRecord(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	g := activeGrant(t, ns, []string{"deployments.apps"}, time.Hour)
	alice := cluster.Person(t, "alice")
	testutil.WaitFor(t, "alice's RBAC from the grant", func() bool {
		return setImage(t, alice, ns, "checkout", image, client.DryRunAll) == nil
	})
	wantAllowed(t, "dry-run", setImage(t, alice, ns, "checkout", image+"-dry", client.DryRunAll))
	if n := len(cluster.Edits(t, g.Name)); n != 0 {
		t.Errorf("dry-runs left %d records", n)
	}
}
