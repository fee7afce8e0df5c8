package chart_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// role is a rendered Role or ClusterRole.
type role struct {
	id    string // Kind/name
	rules []rbacv1.PolicyRule
}

// TestRBACWildcards: no rule grants every verb or impersonate; escalate (with bind) only on Roles,
// in driftgate's ClusterRole, which the grant controller needs to write a grant's Role of
// exactly what the grant names (Roles it does not hold itself); and the only rule on every
// resource is the documented audit read rule: read-only, in driftgate's ClusterRole, and only
// with the audit on.
func TestRBACWildcards(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			var wildcard []string
			for _, r := range roles(t, render(t, vs, goldenNamespace)) {
				for _, rule := range r.rules {
					if hasAny(rule.Verbs, "*", "impersonate") {
						t.Errorf("%s grants %v on %v/%v", r.id, rule.Verbs, rule.APIGroups, rule.Resources)
					}
					grantRoles := r.id == "ClusterRole/"+vs.fullname && slices.Equal(rule.APIGroups, []string{"rbac.authorization.k8s.io"}) &&
						slices.Equal(rule.Resources, []string{"roles"})
					if hasAny(rule.Verbs, "escalate", "bind") && !grantRoles {
						t.Errorf("%s grants %v on %v/%v; escalate and bind belong only to driftgate's rule on roles", r.id, rule.Verbs, rule.APIGroups, rule.Resources)
					}
					if slices.Contains(rule.Resources, "*") {
						wildcard = append(wildcard, fmt.Sprintf("%s %v/%v %v", r.id, rule.APIGroups, rule.Resources, rule.Verbs))
					}
				}
			}
			var want []string
			if vs.readAll {
				want = []string{fmt.Sprintf("ClusterRole/%s [*]/[*] [get list watch]", vs.fullname)}
			}

			if diff := cmp.Diff(want, wildcard); diff != "" {
				t.Errorf("rules on every resource (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRBACResourceNames: the writes that can be limited to one object are: update only
// driftgate's own webhook configuration, lease and certificate Secret (and Secrets only when
// driftgate manages its certificate); no ClusterRole may be bound or escalated (a grant's Role is
// namespaced; its name is the grant's, not known in advance, so bind and escalate on roles are
// not limited by name).
func TestRBACResourceNames(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			rs := roles(t, render(t, vs, goldenNamespace))
			var secrets [][]string
			if vs.certMode == "self" {
				secrets = [][]string{{vs.certSecret}}
			}
			for _, c := range []struct {
				group, resource, verb string
				want                  [][]string // the resourceNames of each rule granting it
			}{
				{"rbac.authorization.k8s.io", "clusterroles", "bind", nil},
				{"rbac.authorization.k8s.io", "clusterroles", "escalate", nil},
				{"rbac.authorization.k8s.io", "roles", "escalate", [][]string{nil}},
				{"admissionregistration.k8s.io", "validatingwebhookconfigurations", "update", [][]string{{vs.fullname}}},
				{"admissionregistration.k8s.io", "validatingwebhookconfigurations", "patch", [][]string{{vs.fullname}}},
				{"admissionregistration.k8s.io", "validatingwebhookconfigurations", "delete", nil},
				{"coordination.k8s.io", "leases", "update", [][]string{{"driftgate.driftgate.io"}}},
				{"", "secrets", "update", secrets},
				{"", "secrets", "patch", secrets},
				{"", "secrets", "delete", nil},
			} {
				got := grantedNames(rs, c.group, c.resource, c.verb)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%s %s.%s: resourceNames of the granting rules (-want +got):\n%s", c.verb, c.resource, c.group, diff)
				}
			}
		})
	}
}

// grantedNames returns, for each rule granting verb on group/resource, its resourceNames (nil:
// every object).
func grantedNames(rs []role, group, resource, verb string) [][]string {
	var out [][]string
	for _, r := range rs {
		for _, rule := range r.rules {
			if matches(rule.APIGroups, group) && matches(rule.Resources, resource) && matches(rule.Verbs, verb) {
				out = append(out, rule.ResourceNames)
			}
		}
	}
	return out
}

func matches(list []string, v string) bool {
	return slices.Contains(list, v) || slices.Contains(list, "*")
}

func hasAny(list []string, vs ...string) bool {
	return slices.ContainsFunc(vs, func(v string) bool { return slices.Contains(list, v) })
}

// roles are the rendered Roles and ClusterRoles bound to driftgate's service account (the
// requester and approver ClusterRoles are for people, and unbound).
func roles(t *testing.T, objs []*unstructured.Unstructured) []role {
	t.Helper()
	bound := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "RoleBinding" || o.GetKind() == "ClusterRoleBinding" {
			kind, _, _ := unstructured.NestedString(o.Object, "roleRef", "kind")
			name, _, _ := unstructured.NestedString(o.Object, "roleRef", "name")
			bound[kind+"/"+name] = true
		}
	}
	var out []role
	for _, o := range objs {
		id := o.GetKind() + "/" + o.GetName()
		switch {
		case !bound[id]:
		case o.GetKind() == "Role":
			var r rbacv1.Role
			typed(t, objs, o.GetKind(), o.GetName(), &r)
			out = append(out, role{id: id, rules: r.Rules})
		case o.GetKind() == "ClusterRole":
			var r rbacv1.ClusterRole
			typed(t, objs, o.GetKind(), o.GetName(), &r)
			out = append(out, role{id: id, rules: r.Rules})
		}
	}
	return out
}
