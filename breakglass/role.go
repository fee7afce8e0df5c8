package breakglass

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// A grant never hands over these, whatever the configured ClusterRole allows: the verbs that
// make RBAC or identities (acting as someone else, granting or escalating), service-account
// tokens, and RBAC objects.
var (
	forbiddenVerbs        = []string{"impersonate", "escalate", "bind"}
	forbiddenSubresources = []string{"serviceaccounts/token"}
	forbiddenGroups       = []string{rbacv1.GroupName, "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io"}
)

// allVerbs is what a "*" verb of the configured ClusterRole stands for in a grant's Role.
var allVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// ParseResource splits a grant scope's "resource.group" ("deployments.apps", "configmaps")
// into group and resource.
func ParseResource(s string) (group, resource string) {
	resource, group, _ = strings.Cut(s, ".")
	return group, resource
}

// GrantRules are the rules of the Role an active grant binds its requester to in each namespace
// of its scope: for each resource the grant names, the verbs the configured ClusterRole (its
// rules, aggregated ones included) allows on that resource and on its subresources, and
// nothing else: no other resource, no forbidden verb, group or subresource.
func GrantRules(scope v1alpha1.GrantScope, clusterRole []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	type target struct{ group, resource, names string }
	verbs := map[target]sets.Set[string]{}
	for _, named := range scope.Resources {
		group, resource := ParseResource(named)
		if slices.Contains(forbiddenGroups, group) {
			continue
		}
		for _, rule := range clusterRole {
			if len(rule.NonResourceURLs) > 0 || !(slices.Contains(rule.APIGroups, group) || slices.Contains(rule.APIGroups, "*")) {
				continue
			}
			for _, r := range rule.Resources {
				var res string
				switch {
				case r == resource || r == "*":
					res = resource
				case strings.HasPrefix(r, resource+"/") && !slices.Contains(forbiddenSubresources, r):
					res = r
				default:
					continue
				}
				t := target{group, res, strings.Join(rule.ResourceNames, ",")}
				if verbs[t] == nil {
					verbs[t] = sets.New[string]()
				}
				verbs[t].Insert(allowedVerbs(rule.Verbs)...)
			}
		}
	}
	out := make([]rbacv1.PolicyRule, 0, len(verbs))
	for t, vs := range verbs {
		if vs.Len() == 0 {
			continue
		}
		rule := rbacv1.PolicyRule{APIGroups: []string{t.group}, Resources: []string{t.resource}, Verbs: sets.List(vs)}
		if t.names != "" {
			rule.ResourceNames = strings.Split(t.names, ",")
		}
		out = append(out, rule)
	}
	slices.SortFunc(out, func(a, b rbacv1.PolicyRule) int {
		return strings.Compare(ruleKey(a), ruleKey(b))
	})
	return out
}

// allowedVerbs is verbs without the forbidden ones, "*" spelled out.
func allowedVerbs(verbs []string) []string {
	var out []string
	for _, v := range verbs {
		switch {
		case v == "*":
			out = append(out, allVerbs...)
		case !slices.Contains(forbiddenVerbs, v):
			out = append(out, v)
		}
	}
	return out
}

func ruleKey(r rbacv1.PolicyRule) string {
	return strings.Join(r.APIGroups, ",") + "/" + strings.Join(r.Resources, ",") + "/" + strings.Join(r.ResourceNames, ",")
}
