package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/config"
)

// RecordsRole is the ClusterRole holding driftgate's one permission to create edit records,
// apart from its others so the tests can take it away (a write that cannot be recorded is
// denied).
const RecordsRole = "driftgate-records"

// ValuesFor are the chart's default values for a release whose names cfg holds, with cfg's
// self-heal protection.
func ValuesFor(cfg *config.Config) Values {
	v := Defaults(cfg.Webhook.ConfigurationName)
	v.CertSecret = cfg.Webhook.ServiceName + "-cert"
	v.SelfHeal = cfg.BreakGlass.SelfHealProtection
	return v
}

// ClusterRoles are driftgate's ClusterRoles for v: its rules as the chart gives them, named
// after the release, with the record permission in RecordsRole.
func ClusterRoles(v Values) []rbacv1.ClusterRole {
	records := rbacv1.PolicyRule{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits"}, Verbs: []string{"create"}}
	var rules []rbacv1.PolicyRule
	for _, r := range Expand(Cluster(), v) {
		if !equality.Semantic.DeepEqual(r, records) {
			rules = append(rules, r)
		}
	}
	return []rbacv1.ClusterRole{
		{ObjectMeta: metav1.ObjectMeta{Name: v.Name}, Rules: rules},
		{ObjectMeta: metav1.ObjectMeta{Name: RecordsRole}, Rules: []rbacv1.PolicyRule{records}},
	}
}

// Binding binds a ClusterRole to subjects cluster-wide.
func Binding(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}
}

// ServiceAccountSubject is an RBAC subject for a service account.
func ServiceAccountSubject(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

// UserSubject is an RBAC subject for a user.
func UserSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

// GroupSubject is an RBAC subject for a group.
func GroupSubject(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}
