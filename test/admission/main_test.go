package admission_test

import (
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/test/testenv"
)

// cluster is the real control plane every test in this package uses: kube-apiserver and etcd
// from envtest, RBAC on, calling driftgate's webhook over TLS.
var cluster *testenv.Cluster

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, testenv.Options{
		ClusterRoles:        []rbacv1.ClusterRole{personRole(), statusWriterRole(), impersonatorRole()},
		ClusterRoleBindings: []rbacv1.ClusterRoleBinding{testenv.Binding("test-person", "test-person", testenv.UserSubject("alice"), testenv.UserSubject("bob"))},
	}, func(c *testenv.Cluster) { cluster = c }))
}

// personRole lets people edit workloads everywhere (driftgate, not RBAC, is what stops them),
// and request break-glass grants.
func personRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-person"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale", "deployments/status"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces", "namespaces/status"}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"*"}},
			{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"*"}},
		},
	}
}

// statusWriterRole is a controller's: it writes the status of Deployments.
func statusWriterRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-status-writer"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments/status"}, Verbs: []string{"update", "patch"}},
		},
	}
}

// impersonatorRole is the part of the built-in edit role that lets its holder act as the
// service accounts of a namespace, with what it needs to write Deployments.
func impersonatorRole() rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "test-impersonator"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}},
			{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "update"}},
		},
	}
}
