package rbac

import rbacv1 "k8s.io/api/rbac/v1"

func rule(groups, resources, verbs []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs}
}

func l(s ...string) []string { return s }

// Cluster are driftgate's cluster-wide rules (its ClusterRole).
func Cluster() []Rule {
	read := l("get", "list", "watch")
	return []Rule{
		{Why: "The webhook reads each namespace's driftgate.io/mode label from a cache.",
			Rule: rule(l(""), l("namespaces"), read)},
		{Why: "Grants and edit records: the webhook and the controllers watch them; the webhook creates the\nrecords; the grant controller and the audit write their status.",
			Rule: rule(l("driftgate.io"), l("breakglassgrants", "breakglassedits"), read)},
		{Rule: rule(l("driftgate.io"), l("breakglassedits"), l("create"))},
		{Rule: rule(l("driftgate.io"), l("breakglassgrants/status", "breakglassedits/status"), l("update", "patch"))},
		{Why: "Roles and RoleBindings owned by a grant (clusters enforcing OwnerReferencesPermissionEnforcement).",
			Rule: rule(l("driftgate.io"), l("breakglassgrants/finalizers"), l("update"))},
		{Why: "The self-heal protection's finalizer on the edits it holds objects for.",
			Rule: rule(l("driftgate.io"), l("breakglassedits"), l("patch"))},
		{Why: "An active grant's Role and RoleBinding, one each per namespace it covers, made and removed by\nthe controller. The Role holds exactly what the grant names (the verbs breakGlass.clusterRole\nallows on those resources, never impersonate, escalate, bind, tokens or RBAC objects), so\ndriftgate writes Roles it does not hold itself (escalate) and binds them (bind).",
			Rule: rule(l("rbac.authorization.k8s.io"), l("roles", "rolebindings"), l("get", "list", "watch", "create", "update", "patch", "delete"))},
		{Rule: rule(l("rbac.authorization.k8s.io"), l("roles"), l("escalate", "bind"))},
		{Why: "breakGlass.clusterRole and the ClusterRoles aggregated into it, read for the verbs a grant gets.",
			Rule: rule(l("rbac.authorization.k8s.io"), l("clusterroles"), read)},
		{Why: "Grant phase changes, drift found and resolved, leader election: events on any object.",
			Rule: rule(l("", "events.k8s.io"), l("events"), l("create", "patch"))},
		{Why: "The webhook registration: watched (list/watch cannot be limited by name), recreated when\ndeleted (create cannot be limited by name), its caBundle kept: written by name only.",
			Rule: rule(l("admissionregistration.k8s.io"), l("validatingwebhookconfigurations"), l("get", "list", "watch", "create"))},
		{Rule: rule(l("admissionregistration.k8s.io"), l("validatingwebhookconfigurations"), l("update", "patch")), OwnName: true},
		{Why: "The audit loop: Git sources and their status.", When: Audit,
			Rule: rule(l("driftgate.io"), l("gitsources"), read)},
		{When: Audit, Rule: rule(l("driftgate.io"), l("gitsources/status"), l("update", "patch"))},
		{Why: "Discovery: the GitSources kept for Flux Kustomizations and HelmReleases (audit.discover; a GitSource without\nthe driftgate.io/discovered-from label is never changed).", When: Audit,
			Rule: rule(l("driftgate.io"), l("gitsources"), l("create", "update", "patch", "delete"))},
		{Why: "The audit reads what it compares with Git (audit.readRules; default everything).", When: Audit,
			Rule: rule(nil, nil, read), Each: ReadRules},
		{Why: "Self-heal protection: Flux's reconcile switch on an object with a Required break-glass edit,\nor Argo CD's skip-reconcile on its Application, set and lifted when the edit resolves, on the\nkinds selfHealProtectionResources names.", When: SelfHeal,
			Rule: rule(nil, nil, l("patch")), Each: SelfHealResources},
		{Why: "The parent of a /scale request, read to decide whether it is GitOps-owned.",
			Rule: rule(nil, nil, l("get")), Each: Scalable},
	}
}

// Namespace are driftgate's rules in its own namespace (its Role).
func Namespace() []Rule {
	return []Rule{
		{Why: "Leader election (controller-runtime, Lease lock): create the lease, then read and renew it.",
			Rule: rule(l("coordination.k8s.io"), l("leases"), l("create"))},
		{Rule: rule(l("coordination.k8s.io"), l("leases"), l("get", "update")), OwnLease: true},
		{Why: "The registrar recreates a deleted webhook configuration only while its Service exists (not\nduring an uninstall), which it checks by name.",
			Rule: rule(l(""), l("services"), l("get")), OwnService: true},
		{Why: "The self-managed certificate: the rotator watches the namespace's Secrets (list/watch cannot\nbe limited by name), creates its Secret if missing, and writes it by name only.", When: SelfManagedCert,
			Rule: rule(l(""), l("secrets"), l("get", "list", "watch", "create"))},
		{When: SelfManagedCert, Rule: rule(l(""), l("secrets"), l("update", "patch")), OwnSecret: true},
	}
}

// ArgoCD are the audit's rules in Argo CD's namespace (a Role there, with the chart's
// audit.argocdRole): what rendering an Argo CD Application reads besides the Application itself,
// for clusters whose audit.readRules leave Secrets and ConfigMaps out.
func ArgoCD() []Rule {
	return []Rule{
		{Why: "Argo CD's repository Secrets, the credentials it clones with: found by their label\nargocd.argoproj.io/secret-type (list cannot be limited by label or name).",
			Rule: rule(l(""), l("secrets"), l("get", "list"))},
		{Why: "Argo CD's settings: resource tracking and reconciliation timeout, SSH host keys, TLS CAs.",
			Rule: rule(l(""), l("configmaps"), l("get")), Names: []string{"argocd-cm", "argocd-ssh-known-hosts-cm", "argocd-tls-certs-cm"}},
	}
}

// People are the ClusterRoles the chart gives to bind to people: requesters and approvers
// (driftgate's webhook decides what they may do to a grant; these only let them try).
func People() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(l("driftgate.io"), l("breakglassgrants"), l("get", "list", "watch", "create", "update", "patch")),
		rule(l("driftgate.io"), l("breakglassedits"), l("get", "list", "watch")),
	}
}
