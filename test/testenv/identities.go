package testenv

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/rbac"
)

// Service accounts by key: the GitOps controllers, system controllers and driftgate itself.
const (
	ArgoCD           = "argocd"
	Flux             = "flux"
	GarbageCollector = "garbageCollector"
	NamespaceCtrl    = "namespaceCtrl"
	Self             = "driftgate"
)

type serviceAccount struct{ namespace, name string }

func (c *Cluster) serviceAccounts() map[string]serviceAccount {
	return map[string]serviceAccount{
		ArgoCD:           {"argocd", "argocd-application-controller"},
		Flux:             {"flux-system", "kustomize-controller"},
		GarbageCollector: {"kube-system", "generic-garbage-collector"},
		NamespaceCtrl:    {"kube-system", "namespace-controller"},
		Self:             {c.Config.Webhook.Namespace, "driftgate"},
	}
}

// UserName is the user name the API server authenticates a service account key as.
func (c *Cluster) UserName(key string) string {
	sa := c.serviceAccounts()[key]
	return fmt.Sprintf("system:serviceaccount:%s:%s", sa.namespace, sa.name)
}

// ServiceAccountNamespace is the namespace of the service account key.
func (c *Cluster) ServiceAccountNamespace(key string) string {
	return c.serviceAccounts()[key].namespace
}

// ServiceAccountName is the name of the service account key.
func (c *Cluster) ServiceAccountName(key string) string { return c.serviceAccounts()[key].name }

// RecordsBinding is the ClusterRoleBinding that lets driftgate create edit records; tests
// remove it to see a write that cannot be recorded denied.
const RecordsBinding = rbac.RecordsRole

func (c *Cluster) createIdentities(ctx context.Context, o Options) error {
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	for key, sa := range c.serviceAccounts() {
		if err := c.createServiceAccount(ctx, cs, key, sa); err != nil {
			return err
		}
	}
	roles := append(DriftgateRoles(c.Config), o.ClusterRoles...)
	for i := range roles {
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &roles[i], metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	role := DriftgateNamespaceRole(c.Config)
	if _, err := cs.RbacV1().Roles(role.Namespace).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		return err
	}
	self := c.serviceAccounts()[Self]
	rb := rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: role.Namespace, Name: "driftgate"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{ServiceAccountSubject(self.namespace, self.name)}}
	if _, err := cs.RbacV1().RoleBindings(role.Namespace).Create(ctx, &rb, metav1.CreateOptions{}); err != nil {
		return err
	}
	bindings := append(c.systemBindings(), o.ClusterRoleBindings...)
	for i := range bindings {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &bindings[i], metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) createServiceAccount(ctx context.Context, cs kubernetes.Interface, key string, sa serviceAccount) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sa.namespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if _, err := cs.CoreV1().ServiceAccounts(sa.namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa.name}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	tr, err := cs.CoreV1().ServiceAccounts(sa.namespace).CreateToken(ctx, sa.name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	c.tokens[key] = tr.Status.Token
	return nil
}

// systemBindings: the GitOps and system controllers get cluster-admin, as their real
// counterparts effectively have; driftgate gets its own roles.
func (c *Cluster) systemBindings() []rbacv1.ClusterRoleBinding {
	var out []rbacv1.ClusterRoleBinding
	sas := c.serviceAccounts()
	for _, key := range []string{ArgoCD, Flux, GarbageCollector, NamespaceCtrl} {
		out = append(out, Binding("test-"+key, "cluster-admin", ServiceAccountSubject(sas[key].namespace, sas[key].name)))
	}
	self := ServiceAccountSubject(sas[Self].namespace, sas[Self].name)
	return append(out, Binding("driftgate", "driftgate", self), Binding(RecordsBinding, rbac.RecordsRole, self))
}

// Binding binds a ClusterRole to subjects cluster-wide (rbac.Binding).
func Binding(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbac.Binding(name, role, subjects...)
}

// ServiceAccountSubject is an RBAC subject for a service account.
func ServiceAccountSubject(ns, name string) rbacv1.Subject {
	return rbac.ServiceAccountSubject(ns, name)
}

// UserSubject is an RBAC subject for a user.
func UserSubject(name string) rbacv1.Subject { return rbac.UserSubject(name) }

// GroupSubject is an RBAC subject for a group.
func GroupSubject(name string) rbacv1.Subject { return rbac.GroupSubject(name) }

// DriftgateRoles are driftgate's ClusterRoles exactly as the chart gives them with its default
// values (internal/rbac), the record permission split out so tests can take it away.
func DriftgateRoles(cfg *config.Config) []rbacv1.ClusterRole {
	return rbac.ClusterRoles(rbac.ValuesFor(cfg))
}

// DriftgateNamespaceRole is driftgate's Role in its own namespace as the chart gives it
// (leader election, its Service, its certificate Secret).
func DriftgateNamespaceRole(cfg *config.Config) rbacv1.Role {
	return rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: cfg.Webhook.Namespace, Name: "driftgate"},
		Rules: rbac.Expand(rbac.Namespace(), rbac.ValuesFor(cfg))}
}

// RestoreRecordsBinding puts back RecordsBinding after a test removed it.
func (c *Cluster) RestoreRecordsBinding(ctx context.Context) error {
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		return err
	}
	sas := c.serviceAccounts()
	b := Binding(RecordsBinding, rbac.RecordsRole, ServiceAccountSubject(sas[Self].namespace, sas[Self].name))
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{})
	return err
}

// ServiceAccountConfig is a rest.Config that authenticates with the service account's token.
func (c *Cluster) ServiceAccountConfig(key string) (*rest.Config, error) {
	tok, ok := c.tokens[key]
	if !ok {
		return nil, fmt.Errorf("no service account %q", key)
	}
	cfg := rest.AnonymousClientConfig(c.Admin)
	cfg.BearerToken = tok
	return cfg, nil
}
