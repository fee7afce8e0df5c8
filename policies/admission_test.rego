package driftgate.admission_test

import rego.v1

import data.driftgate.admission

cfg := {
	"gitopsIdentities": {"system:serviceaccount:argocd:argocd-application-controller": true},
	"selfIdentity": "system:serviceaccount:driftgate-system:driftgate",
	"systemIdentities": {"system:kube-controller-manager": true},
	"systemPrefixes": ["system:serviceaccount:kube-system:"],
	"systemGroups": {"system:nodes": true},
	"withoutCredential": {"system:serviceaccount:tenant-a:flux-reconciler": true},
}

base := {
	"operation": "UPDATE",
	"user": {"name": "alice", "groups": ["system:authenticated"], "credential": "X509SHA256"},
	"resource": "deployments.apps",
	"subresource": "",
	"kind": "Deployment",
	"namespace": "prod",
	"name": "checkout",
	"dryRun": false,
	"mode": "enforce",
	"time": "2026-11-21T10:30:00Z",
	"timeNs": time.parse_rfc3339_ns("2026-11-21T10:30:00Z"),
	"ownership": {"owned": true, "owner": "Argo CD application \"checkout\"", "marker": "argocd.argoproj.io/tracking-id"},
	"changedPaths": ["spec.replicas"],
	"guardedChanges": [],
	"grants": [],
}

grant := {
	"name": "inc-1-alice", "ticket": "INC-1", "phase": "Active",
	"expiresAt": "2026-11-21T11:00:00Z", "expiresAtNs": time.parse_rfc3339_ns("2026-11-21T11:00:00Z"),
}

# expiring is grant with its expiry at t.
expiring(t) := object.union(grant, {"expiresAt": t, "expiresAtNs": time.parse_rfc3339_ns(t)})

decide(patch) := d if {
	d := admission.decision with input as object.union(base, patch) with data.driftgate.config as cfg
}

test_person_denied_on_owned_object if {
	d := decide({})
	not d.allowed
	contains(d.reason, "owned by Argo CD application \"checkout\"")
	contains(d.reason, "driftgate breakglass request --namespace prod --resource deployments.apps")
	d.record == false
}

test_person_allowed_on_unowned_object if {
	d := decide({"ownership": {"owned": false}})
	d.allowed
	d.reason == "not GitOps-owned"
	d.warnings == []
}

test_gitops_allowed if {
	d := decide({"user": {"name": "system:serviceaccount:argocd:argocd-application-controller", "groups": [], "credential": "JTI"}})
	d.allowed
	d.writer == "gitops"
}

# A GitOps or system name without the credential the API server names (impersonation) is a person.
test_worn_names_are_people if {
	every name in [
		"system:serviceaccount:argocd:argocd-application-controller",
		"system:serviceaccount:driftgate-system:driftgate",
		"system:kube-controller-manager",
		"system:serviceaccount:kube-system:generic-garbage-collector",
	] {
		d := decide({"user": {"name": name, "groups": ["system:authenticated"], "credential": ""}})
		not d.allowed
		d.writer == "person"
		contains(d.reason, "without its credential: impersonated")
	}
}

test_worn_kubelet_group_is_a_person if {
	d := decide({"user": {"name": "system:node:n1", "groups": ["system:nodes"], "credential": ""}})
	not d.allowed
	d.writer == "person"
}

test_names_accepted_without_credential if {
	d := decide({"user": {"name": "system:serviceaccount:tenant-a:flux-reconciler", "groups": [], "credential": ""}})
	d.writer == "person" # not a GitOps identity in this config: accepted as named, which is a person
	cfg2 := object.union(cfg, {"gitopsIdentities": {"system:serviceaccount:tenant-a:flux-reconciler": true}})
	d2 := admission.decision with input as object.union(base, {"user": {"name": "system:serviceaccount:tenant-a:flux-reconciler", "groups": [], "credential": ""}})
		with data.driftgate.config as cfg2
	d2.allowed
	d2.writer == "gitops"
}

test_person_denial_has_no_identity_note if {
	d := decide({})
	not contains(d.reason, "impersonated")
}

test_system_controllers_allowed if {
	every name in ["system:kube-controller-manager", "system:serviceaccount:kube-system:generic-garbage-collector"] {
		d := decide({"operation": "DELETE", "user": {"name": name, "groups": [], "credential": "JTI"}})
		d.allowed
		d.writer == "system"
	}
}

test_kubelet_group_allowed if {
	d := decide({"user": {"name": "system:node:n1", "groups": ["system:nodes"], "credential": "X509SHA256"}})
	d.allowed
}

test_self_allowed if {
	d := decide({"user": {"name": "system:serviceaccount:driftgate-system:driftgate", "groups": [], "credential": "JTI"}})
	d.allowed
	d.writer == "self"
}

test_grant_allows_with_warning_and_record if {
	d := decide({"grants": [grant]})
	d.allowed
	d.grant == "inc-1-alice"
	d.ticket == "INC-1"
	d.record
	d.auditAnnotations == {"grant": "inc-1-alice", "ticket": "INC-1"}
	d.warnings == [concat("", [
		"driftgate: break-glass write to Deployment prod/checkout (owned by Argo CD application \"checkout\") ",
		"under grant inc-1-alice, ticket INC-1: it is recorded and must be backported to Git or reverted",
	])]
}

# Grants cover namespaces only, so no grant reaches the policy for a cluster-scoped object; given
# one, the policy still names the object rightly.
test_grant_on_cluster_scoped_object_names_it if {
	d := decide({"grants": [grant], "namespace": "", "kind": "ClusterRole", "name": "view"})
	d.allowed
	startswith(d.warnings[0], "driftgate: break-glass write to ClusterRole view (owned by")
}

test_break_glass_dry_run_leaves_no_record if {
	d := decide({"grants": [grant], "dryRun": true})
	d.allowed
	d.grant == "inc-1-alice"
	d.record == false
	count(d.warnings) == 1
}

# A dry run is never recorded, so its warning does not say it is: it says it was a dry run.
test_break_glass_dry_run_warns_that_nothing_was_recorded if {
	d := decide({"grants": [grant], "dryRun": true})
	d.warnings == [concat("", [
		"driftgate: dry run of a break-glass write to Deployment prod/checkout (owned by Argo CD application \"checkout\") ",
		"under grant inc-1-alice, ticket INC-1: allowed; nothing was recorded, ",
		"and a real write would be recorded and must be backported to Git or reverted",
	])]
}

test_break_glass_dry_run_of_cluster_scoped_object_warns_that_nothing_was_recorded if {
	d := decide({"grants": [grant], "dryRun": true, "namespace": "", "kind": "ClusterRole", "name": "view"})
	startswith(d.warnings[0], "driftgate: dry run of a break-glass write to ClusterRole view (owned by")
	contains(d.warnings[0], "nothing was recorded")
}

test_warn_mode_dry_run_leaves_no_record if {
	d := decide({"mode": "warn", "dryRun": true})
	d.allowed
	d.record == false
}

test_mode_switch_by_person_denied if {
	d := decide({
		"kind": "Namespace", "namespace": "", "name": "prod", "resource": "namespaces",
		"ownership": {"owned": false},
		"guardedChanges": [{"path": "metadata.labels[\"driftgate.io/mode\"]", "kind": "modeSwitch"}],
	})
	not d.allowed
	contains(d.reason, "driftgate mode switch")
}

test_mode_switch_by_gitops_allowed if {
	d := decide({
		"user": {"name": "system:serviceaccount:argocd:argocd-application-controller", "groups": [], "credential": "JTI"},
		"kind": "Namespace", "namespace": "", "name": "prod", "resource": "namespaces",
		"ownership": {"owned": false},
		"guardedChanges": [{"path": "metadata.labels[\"driftgate.io/mode\"]", "kind": "modeSwitch"}],
	})
	d.allowed
}

test_expired_grant_allows_nothing if {
	every t in ["2026-11-21T10:29:59Z", "2026-11-21T10:30:00Z"] {
		d := decide({"grants": [expiring(t)]})
		not d.allowed
		d.grant == ""
	}
}

test_grant_expiring_after_the_request_allows if {
	decide({"grants": [expiring("2026-11-21T10:30:01Z")]}).allowed
}

# Only the numeric expiry counts: a grant without one, or with one that is not a number, is not
# live (fail closed).
test_grant_without_numeric_expiry_allows_nothing if {
	every g in [object.remove(grant, ["expiresAtNs"]), object.union(grant, {"expiresAtNs": "2026-11-21T11:00:00Z"})] {
		d := decide({"grants": [g]})
		not d.allowed
		d.grant == ""
	}
}

# A grant changes nothing for a write that needs none: no warning, no record.
test_grant_unused_by_system_controller if {
	d := decide({"user": {"name": "system:kube-controller-manager", "groups": [], "credential": "JTI"}, "grants": [grant]})
	d.allowed
	d.reason == "system controller"
	d.grant == ""
	not d.record
	d.warnings == []
}

test_grant_unused_on_unowned_object if {
	d := decide({"ownership": {"owned": false}, "grants": [grant]})
	d.allowed
	d.reason == "not GitOps-owned"
	d.grant == ""
	not d.record
	d.warnings == []
}

# Without a numeric request time no grant is live, whatever the grant says.
test_grant_without_numeric_request_time_allows_nothing if {
	every t in [null, false, true, "2026-11-21T10:30:00Z"] {
		d := decide({"timeNs": t, "grants": [grant]})
		not d.allowed
		d.grant == ""
	}
	d := admission.decision with input as object.remove(object.union(base, {"grants": [grant]}), ["timeNs"])
		with data.driftgate.config as cfg
	not d.allowed
}

test_system_controller_allowed_with_expired_grant if {
	d := decide({"user": {"name": "system:kube-controller-manager", "groups": [], "credential": "JTI"}, "grants": [expiring("2026-11-21T10:00:00Z")]})
	d.allowed
	d.reason == "system controller"
}

test_pending_grant_allows_nothing if {
	d := decide({"grants": [object.union(grant, {"phase": "Pending"})]})
	not d.allowed
}

test_marker_change_denied_even_with_grant if {
	d := decide({
		"grants": [grant],
		"guardedChanges": [{"path": "metadata.annotations[\"argocd.argoproj.io/tracking-id\"]", "kind": "marker"}],
	})
	not d.allowed
	contains(d.reason, "only GitOps identities may add, change or remove it")
}

test_marker_copied_by_system_controller_allowed if {
	d := decide({
		"operation": "CREATE",
		"user": {"name": "system:serviceaccount:kube-system:replicaset-controller", "groups": [], "credential": "JTI"},
		"guardedChanges": [{"path": "metadata.labels[\"app.kubernetes.io/instance\"]", "kind": "marker"}],
	})
	d.allowed
}

test_marker_change_by_driftgate_denied if {
	d := decide({
		"user": {"name": "system:serviceaccount:driftgate-system:driftgate", "groups": [], "credential": "JTI"},
		"guardedChanges": [{"path": "metadata.labels[\"kustomize.toolkit.fluxcd.io/name\"]", "kind": "marker"}],
	})
	not d.allowed
}

test_marker_change_by_gitops_allowed if {
	d := decide({
		"user": {"name": "system:serviceaccount:argocd:argocd-application-controller", "groups": [], "credential": "JTI"},
		"guardedChanges": [{"path": "metadata.annotations[\"argocd.argoproj.io/tracking-id\"]", "kind": "marker"}],
	})
	d.allowed
}

test_pause_switch_on_owned_denied if {
	d := decide({
		"grants": [grant],
		"guardedChanges": [{"path": "metadata.annotations[\"kustomize.toolkit.fluxcd.io/reconcile\"]", "kind": "pauseSwitch"}],
	})
	not d.allowed
	contains(d.reason, "pause switch")
}

test_pause_switch_on_unowned_allowed if {
	d := decide({
		"ownership": {"owned": false},
		"guardedChanges": [{"path": "metadata.annotations[\"argocd.argoproj.io/sync-options\"]", "kind": "pauseSwitch"}],
	})
	d.allowed
}

test_warn_mode_allows_with_warning_and_record if {
	d := decide({"mode": "warn"})
	d.allowed
	d.record
	startswith(d.reason, "warn mode: would deny:")
	count(d.warnings) == 1
	d.auditAnnotations == {"mode": "warn", "would-deny": "true"}
}

test_dryrun_mode_allows_quietly if {
	d := decide({"mode": "dryrun"})
	d.allowed
	d.record == false
	d.warnings == []
	startswith(d.reason, "dryrun mode: would deny:")
}

test_cluster_scoped_message if {
	d := decide({"namespace": "", "kind": "ClusterRole", "name": "x", "resource": "clusterroles.rbac.authorization.k8s.io"})
	not d.allowed
	contains(d.reason, "ClusterRole x is owned by")
	contains(d.reason, "the cluster scope")
	not contains(d.reason, "--namespace")
}

# ---- helper rules operators' policies read (docs/policies.md) ----------------------------------
# The decision is built from them; these tests pin what operators' policies read.

helpers(patch) := h if {
	inp := object.union(base, patch)
	si := system_identity with input as inp with data.driftgate.config as cfg
	aa := always_allowed with input as inp with data.driftgate.config as cfg
	bg := break_glass with input as inp with data.driftgate.config as cfg
	ref := admission.object_ref with input as inp with data.driftgate.config as cfg
	nt := admission.namespace_text with input as inp with data.driftgate.config as cfg
	hint := admission.request_hint with input as inp with data.driftgate.config as cfg
	h := {
		"system_identity": si, "always_allowed": aa, "break_glass": bg,
		"object_ref": ref, "namespace_text": nt, "request_hint": hint,
	}
}

# The helpers below read the boolean rules as true or false (they are undefined when false).
system_identity := true if admission.system_identity

else := false

always_allowed := true if admission.always_allowed

else := false

break_glass := true if admission.break_glass

else := false

test_helpers_for_a_break_glass_write if {
	helpers({"grants": [grant]}) == {
		"system_identity": false, "always_allowed": false, "break_glass": true,
		"object_ref": "Deployment prod/checkout", "namespace_text": "namespace prod",
		"request_hint": "driftgate breakglass request --namespace prod --resource deployments.apps --for 1h --ticket <TICKET> --reason \"<why>\"",
	}
}

test_helpers_for_system_and_gitops_writers if {
	every name in ["system:kube-controller-manager", "system:serviceaccount:kube-system:generic-garbage-collector"] {
		h := helpers({"user": {"name": name, "groups": [], "credential": "JTI"}, "grants": [grant]})
		h.system_identity
		h.always_allowed
		not h.break_glass
	}
	h := helpers({"user": {"name": "system:serviceaccount:argocd:argocd-application-controller", "groups": [], "credential": "JTI"}})
	not h.system_identity
	h.always_allowed
	node := helpers({"user": {"name": "kubelet", "groups": ["system:nodes"], "credential": "X509SHA256"}})
	node.system_identity
}

test_helpers_for_a_cluster_scoped_object if {
	h := helpers({"namespace": "", "kind": "ClusterRole", "name": "view", "grants": [expiring("2026-11-21T10:00:00Z")]})
	h.object_ref == "ClusterRole view"
	h.namespace_text == "the cluster scope"
	h.request_hint == "break-glass grants cover namespaces only; change cluster-scoped objects in Git"
	not h.break_glass
}

# A status write that changes only .status is let through; one that changes metadata is a write.
test_status_only_write_allowed if {
	d := decide({"subresource": "status", "changedPaths": []})
	d.allowed
	d.record == false
	contains(d.reason, "a status write that changes nothing outside .status")
}

test_status_write_changing_metadata_denied if {
	d := decide({"subresource": "status", "changedPaths": ["metadata.annotations[example.com~1x]"]})
	not d.allowed
	contains(d.reason, "is owned by")
}

test_status_write_removing_marker_denied if {
	d := decide({
		"subresource": "status", "changedPaths": [],
		"guardedChanges": [{"path": "metadata.annotations[argocd.argoproj.io/tracking-id]", "kind": "marker"}],
	})
	not d.allowed
	contains(d.reason, "ownership marker")
}

test_status_write_under_grant_changing_metadata_recorded if {
	d := decide({"subresource": "status", "changedPaths": ["metadata.labels[team]"], "grants": [grant]})
	d.allowed
	d.record == true
}

# driftgate itself sets and lifts Flux's reconcile switch (self-heal protection); a person may not.
test_self_may_change_pause_switch if {
	d := decide({
		"user": {"name": "system:serviceaccount:driftgate-system:driftgate", "groups": [], "credential": "JTI"},
		"changedPaths": ["metadata.annotations[kustomize.toolkit.fluxcd.io/reconcile]"],
		"guardedChanges": [{"path": "metadata.annotations[kustomize.toolkit.fluxcd.io/reconcile]", "kind": "pauseSwitch"}],
	})
	d.allowed
	d.writer == "self"
}

test_self_may_not_change_markers if {
	d := decide({
		"user": {"name": "system:serviceaccount:driftgate-system:driftgate", "groups": [], "credential": "JTI"},
		"guardedChanges": [{"path": "metadata.annotations[argocd.argoproj.io/tracking-id]", "kind": "marker"}],
	})
	not d.allowed
}

# decide_without is the decision on base without the given keys: inputs the webhook never
# builds, which must not be allowed for want of a refusal the rules can word.
decide_without(keys, patch) := d if {
	d := admission.decision with input as object.remove(object.union(base, patch), keys) with data.driftgate.config as cfg
}

test_person_write_without_kind_is_not_allowed if {
	not decide_without(["kind"], {}).allowed
}

test_person_write_without_resource_is_not_allowed if {
	not decide_without(["resource"], {}).allowed
}

test_write_under_grant_without_name_is_not_allowed if {
	not decide_without([], {"grants": [object.remove(grant, ["name"])]}).allowed
}

test_permit_rule_still_allows_without_kind if {
	d := decide_without(["kind"], {"subresource": "status", "changedPaths": []})
	d.allowed
	d.reason == "permitted by policy: a status write that changes nothing outside .status"
}
