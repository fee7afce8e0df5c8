package breakglass_test

import (
	"context"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// TestGrantGivesExactlyWhatItNames: a grant for configmaps in one namespace lets its requester
// write configmaps there, as the configured ClusterRole allows, and nothing else that role
// holds: not secrets, not impersonating the namespace's service accounts, not their tokens, not
// RBAC. Asked of the API server's own authorizer (SubjectAccessReview).
func TestGrantGivesExactlyWhatItNames(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	g := activeGrant(t, ns, []string{"configmaps"}, time.Hour)
	testutil.WaitFor(t, "the grant's RoleBinding", func() bool { return roleBindingExists(t, ns, g.Name) })

	tests := []struct {
		attrs authorizationv1.ResourceAttributes
		want  bool
	}{
		{authorizationv1.ResourceAttributes{Verb: "update", Resource: "configmaps"}, true},
		{authorizationv1.ResourceAttributes{Verb: "patch", Resource: "configmaps"}, true},
		{authorizationv1.ResourceAttributes{Verb: "delete", Resource: "configmaps"}, false}, // the role does not hold it
		{authorizationv1.ResourceAttributes{Verb: "get", Resource: "secrets"}, false},
		{authorizationv1.ResourceAttributes{Verb: "impersonate", Resource: "serviceaccounts", Name: "default"}, false},
		{authorizationv1.ResourceAttributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "default"}, false},
		{authorizationv1.ResourceAttributes{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}, false},
		{authorizationv1.ResourceAttributes{Verb: "update", Group: "apps", Resource: "deployments"}, false},
	}
	// alice is impersonated by the admin here as everywhere in this suite: what RBAC answers for
	// her is what it answers for her own credential.
	cs := cluster.AdminActor(t).CS
	for _, tt := range tests {
		attrs := tt.attrs
		attrs.Namespace = ns
		sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", Groups: []string{"system:authenticated"}, ResourceAttributes: &attrs},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sar.Status.Allowed != tt.want {
			t.Errorf("alice may %s %s/%s in %s: %v, want %v", attrs.Verb, attrs.Resource, attrs.Subresource, ns, sar.Status.Allowed, tt.want)
		}
	}
}

// TestGrantScopesRefused: grants that would reach more than a namespaced scope, or nothing at
// all, are refused when requested, each with a message that says why.
func TestGrantScopesRefused(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	alice := cluster.Person(t, "alice")
	tests := []struct {
		name       string
		namespaces []string
		resources  []string
		want       string
	}{
		{"every namespace", []string{"*"}, []string{"configmaps"}, "there are no wildcards"},
		{"Flux's namespace", []string{cluster.ServiceAccountNamespace(testenv.Flux)}, []string{"configmaps"}, "holds a GitOps or driftgate service account"},
		{"a resource without its group", []string{ns}, []string{"deployments"}, "did you mean deployments.apps"},
		{"a cluster-scoped resource", []string{ns}, []string{"namespaces"}, "cluster-scoped"},
		{"RBAC", []string{ns}, []string{"rolebindings.rbac.authorization.k8s.io"}, "never hands over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alice.Ops().Request(context.Background(), breakglass.Request{
				Namespaces: tt.namespaces, Resources: tt.resources, Duration: time.Hour, Ticket: "INC-1", Reason: "test",
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("request: got %v, want a refusal saying %q", err, tt.want)
			}
		})
	}
}

// TestNamespaceNotWritableUnderGrant: a grant's namespace is where it lets its holder write
// objects, not the Namespace object of that name (cluster-scoped, no break-glass).
func TestNamespaceNotWritableUnderGrant(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps"})
	activeGrant(t, ns, []string{"configmaps"}, time.Hour)
	obj := &corev1.Namespace{}
	admin := cluster.AdminActor(t).Client
	if err := admin.Get(ctx, client.ObjectKey{Name: ns}, obj); err != nil {
		t.Fatal(err)
	}
	obj.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
	err := cluster.Person(t, "alice").Client.Update(ctx, obj)
	wantDenied(t, "alice relabelling the owned Namespace of her grant", err, "cluster scope")
}
