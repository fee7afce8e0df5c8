// Package rbac is driftgate's own RBAC, defined once: the chart's rbac.yaml is generated from it
// (hack/genchart) and every test suite runs driftgate with exactly these rules (the chart's
// default values).
package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// Condition is the chart value a rule depends on.
type Condition string

// The conditions of the chart's rules.
const (
	Always          Condition = ""
	Audit           Condition = "audit"           // audit.enabled
	SelfHeal        Condition = "selfHeal"        // config.breakGlass.selfHealProtection
	SelfManagedCert Condition = "selfManagedCert" // the certificate is self-managed
)

// List is a chart value that is a list of {apiGroups, resources}: one rule per entry.
type List string

// The chart's list values.
const (
	ReadRules         List = "audit.readRules"
	SelfHealResources List = "selfHealProtectionResources"
	Scalable          List = "scalableResources"
)

// Resources is one entry of a List value.
type Resources struct {
	APIGroups []string `json:"apiGroups"`
	Resources []string `json:"resources"`
}

// Rule is one of driftgate's permissions, and why it has it.
type Rule struct {
	// Why is said in the chart above the rule.
	Why  string
	When Condition
	// Rule is the permission; with Each, its verbs go on every entry of that value.
	Rule rbacv1.PolicyRule
	Each List
	// OwnName limits the rule to driftgate's own object of that kind (ResourceNames: the release's
	// full name); OwnLease to its leader-election Lease; OwnService to its webhook Service;
	// OwnSecret to its certificate Secret.
	OwnName, OwnLease, OwnService, OwnSecret bool
	// Names limits the rule to objects of these names (another tool's, such as Argo CD's
	// settings).
	Names []string
}

// LeaseName is the Lease the replicas elect a leader with.
const LeaseName = "driftgate.driftgate.io"

// Values are the chart values the rules depend on.
type Values struct {
	// Name is the release's full name.
	Name            string
	Audit, SelfHeal bool
	SelfManagedCert bool
	CertSecret      string
	Lists           map[List][]Resources
}

// Defaults are the chart's default values for a release named name (test/chart checks them
// against values.yaml).
func Defaults(name string) Values {
	return Values{Name: name, Audit: true, SelfHeal: true, SelfManagedCert: true, CertSecret: name + "-cert",
		Lists: map[List][]Resources{
			ReadRules: {{APIGroups: []string{"*"}, Resources: []string{"*"}}},
			SelfHealResources: {
				{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}},
				{APIGroups: []string{""}, Resources: []string{"configmaps", "services"}},
				{APIGroups: []string{"batch"}, Resources: []string{"cronjobs"}},
				{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}},
				{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}},
				{APIGroups: []string{"argoproj.io"}, Resources: []string{"applications"}},
			},
			Scalable: {
				{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "replicasets"}},
				{APIGroups: []string{""}, Resources: []string{"replicationcontrollers"}},
			},
		}}
}

// Expand is rules as they are for v: conditions decided, lists expanded, own names filled in.
func Expand(rules []Rule, v Values) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !v.holds(r.When) {
			continue
		}
		if r.Each != "" {
			for _, e := range v.Lists[r.Each] {
				out = append(out, rbacv1.PolicyRule{APIGroups: e.APIGroups, Resources: e.Resources, Verbs: r.Rule.Verbs})
			}
			continue
		}
		rule := *r.Rule.DeepCopy()
		switch {
		case r.OwnName:
			rule.ResourceNames = []string{v.Name}
		case r.OwnLease:
			rule.ResourceNames = []string{LeaseName}
		case r.OwnService:
			rule.ResourceNames = []string{v.Name + "-webhook"}
		case r.OwnSecret:
			rule.ResourceNames = []string{v.CertSecret}
		case len(r.Names) > 0:
			rule.ResourceNames = append([]string(nil), r.Names...)
		}
		out = append(out, rule)
	}
	return out
}

func (v Values) holds(c Condition) bool {
	switch c {
	case Audit:
		return v.Audit
	case SelfHeal:
		return v.SelfHeal
	case SelfManagedCert:
		return v.SelfManagedCert
	}
	return true
}
