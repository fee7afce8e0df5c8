package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/rbac"
)

// The chart's ClusterRoles for people (charts/driftgate/templates/rbac.yaml, release "driftgate").
const (
	requesterRole = "driftgate:requester"
	approverRole  = "driftgate:approver"
)

// clusterRoles are driftgate's own (internal/rbac, exactly as the chart and the envtest tests
// have them) and the chart's requester and approver roles.
func clusterRoles(cfg *config.Config) []rbacv1.ClusterRole {
	grants := []rbacv1.PolicyRule{
		{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassgrants"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch"}},
		{APIGroups: []string{"driftgate.io"}, Resources: []string{"breakglassedits"}, Verbs: []string{"get", "list", "watch"}},
	}
	return append(rbac.ClusterRoles(rbac.ValuesFor(cfg)),
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: requesterRole}, Rules: grants},
		rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: approverRole}, Rules: grants},
	)
}

// clusterRoleBindings: the GitOps controllers are cluster-admin (a dev cluster's shortcut; real
// ones have what their installs give them); driftgate has its roles; the on-call group may edit
// everything and request grants; approvers may read everything and approve grants. People are
// bound by group and by name, so `kubectl --as alice` works without --as-group.
func clusterRoleBindings(cfg *config.Config, self serviceAccount) []rbacv1.ClusterRoleBinding {
	var gitops []rbacv1.Subject
	for _, sa := range gitopsServiceAccounts(cfg) {
		gitops = append(gitops, rbac.ServiceAccountSubject(sa.namespace, sa.name))
	}
	driftgate := rbac.ServiceAccountSubject(self.namespace, self.name)
	oncall, approvers := groupSubjects(oncallGroup), groupSubjects(approverGroup)
	return []rbacv1.ClusterRoleBinding{
		rbac.Binding("dev-gitops-cluster-admin", "cluster-admin", gitops...),
		rbac.Binding("driftgate", "driftgate", driftgate),
		rbac.Binding(rbac.RecordsRole, "driftgate-records", driftgate),
		rbac.Binding("dev-oncall-edit", "edit", oncall...),
		rbac.Binding("dev-oncall-requester", requesterRole, oncall...),
		rbac.Binding("dev-approvers-view", "view", approvers...),
		rbac.Binding("dev-approvers-approver", approverRole, approvers...),
	}
}

// groupSubjects are the group and, by name, the demo's people in it.
func groupSubjects(group string) []rbacv1.Subject {
	out := []rbacv1.Subject{rbac.GroupSubject(group)}
	for _, who := range people() {
		if slices.Contains(who.groups, group) {
			out = append(out, rbac.UserSubject(who.name))
		}
	}
	return out
}

// serviceAccount is a namespace and a name.
type serviceAccount struct{ namespace, name string }

func (s serviceAccount) userName() string {
	return "system:serviceaccount:" + s.namespace + ":" + s.name
}

// gitopsServiceAccounts are the configured GitOps identities that are service accounts.
func gitopsServiceAccounts(cfg *config.Config) []serviceAccount {
	var out []serviceAccount
	for _, id := range cfg.GitOpsIdentities() {
		if rest, ok := strings.CutPrefix(id, "system:serviceaccount:"); ok {
			if ns, name, ok := strings.Cut(rest, ":"); ok {
				out = append(out, serviceAccount{ns, name})
			}
		}
	}
	return out
}

// aggregateClusterRoles fills the aggregated ClusterRoles (admin, edit, view) from the roles
// their selectors match, as kube-controller-manager's aggregation controller would; none runs
// here, and without it `edit` allows nothing. Repeated until nothing changes (view feeds edit,
// edit feeds admin).
func aggregateClusterRoles(ctx context.Context, cs kubernetes.Interface) error {
	for range 5 {
		changed, err := aggregateOnce(ctx, cs)
		if err != nil || !changed {
			return err
		}
	}
	return nil
}

func aggregateOnce(ctx context.Context, cs kubernetes.Interface) (bool, error) {
	list, err := cs.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("listing ClusterRoles: %w", err)
	}
	changed := false
	for i := range list.Items {
		role := &list.Items[i]
		if role.AggregationRule == nil {
			continue
		}
		rules, err := aggregatedRules(role, list.Items)
		if err != nil {
			return false, err
		}
		if equality.Semantic.DeepEqual(rules, role.Rules) {
			continue
		}
		role.Rules, changed = rules, true
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, role, metav1.UpdateOptions{}); err != nil {
			return false, fmt.Errorf("aggregating ClusterRole %s: %w", role.Name, err)
		}
	}
	return changed, nil
}

func aggregatedRules(role *rbacv1.ClusterRole, all []rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	for _, s := range role.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&s)
		if err != nil {
			return nil, fmt.Errorf("ClusterRole %s's aggregation selector: %w", role.Name, err)
		}
		for _, other := range all {
			if other.Name == role.Name || !sel.Matches(labels.Set(other.Labels)) {
				continue
			}
			for _, r := range other.Rules {
				if !slices.ContainsFunc(rules, func(have rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(have, r) }) {
					rules = append(rules, r)
				}
			}
		}
	}
	return rules, nil
}
