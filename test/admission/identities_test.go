package admission_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Service accounts that act as the GitOps controllers and system controllers, with real tokens.
var serviceAccounts = map[string][2]string{
	"argocd":           {"argocd", "argocd-application-controller"},
	"flux":             {"flux-system", "kustomize-controller"},
	"garbageCollector": {"kube-system", "generic-garbage-collector"},
	"namespaceCtrl":    {"kube-system", "namespace-controller"},
}

var tokens = map[string]string{}

// setupIdentities creates the service accounts (bound to cluster-admin, as their real
// counterparts effectively are) and a ClusterRole that lets people alice and bob edit workloads.
func setupIdentities(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(cluster.admin)
	if err != nil {
		return err
	}
	for key, sa := range serviceAccounts {
		ns, name := sa[0], sa[1]
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			return err
		}
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "test-" + key},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
			return err
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
		}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		tokens[key] = tr.Status.Token
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-person"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"*"}},
		},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "test-person"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-person"},
		Subjects: []rbacv1.Subject{
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"},
			{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bob"},
		},
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	return err
}

// warnings collects the warnings the API server returned to one client.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.list, "\n")
}

// actor is one identity's clients.
type actor struct {
	name     string
	client   client.Client
	cs       kubernetes.Interface
	warnings *warnings
}

func newActor(t *testing.T, name string, cfg *rest.Config) *actor {
	t.Helper()
	w := &warnings{}
	cfg.WarningHandler = w
	c, err := client.New(cfg, client.Options{Scheme: cluster.scheme})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &actor{name: name, client: c, cs: cs, warnings: w}
}

// person acts as a user through impersonation by the admin.
func person(t *testing.T, user string) *actor {
	cfg := rest.CopyConfig(cluster.admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	return newActor(t, user, cfg)
}

// serviceAccount acts with the service account's own token.
func serviceAccount(t *testing.T, key string) *actor {
	tok, ok := tokens[key]
	if !ok {
		t.Fatalf("no service account %q", key)
	}
	cfg := rest.AnonymousClientConfig(cluster.admin)
	cfg.BearerToken = tok
	sa := serviceAccounts[key]
	return newActor(t, fmt.Sprintf("system:serviceaccount:%s:%s", sa[0], sa[1]), cfg)
}

func admin(t *testing.T) *actor { return newActor(t, "admin", rest.CopyConfig(cluster.admin)) }

// namespace creates a fresh namespace for one test, labelled as given. Flux creates it: only
// GitOps identities may set driftgate's mode label.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-", Labels: labels}}
	a := serviceAccount(t, "flux")
	if err := a.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.client.Delete(context.Background(), ns) })
	return ns.Name
}
