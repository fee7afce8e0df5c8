# driftgate's default admission policy.
#
# Input: see docs/policies.md. Data: data.driftgate.config, built from driftgate.yaml.
# Operators extend this package from their own files with three sets:
#   deny contains msg     - refuse the write (subject to the namespace's mode)
#   warn contains msg     - allow, and warn the writer
#   permit contains why   - let a person's write to a GitOps-owned object through without a grant
#                           (markers and pause switches stay guarded)
package driftgate.admission

import rego.v1

# config is kept for operators' policies; the rules below read data.driftgate.config directly,
# which saves a rule lookup per read.
config := data.driftgate.config

# ---- who is writing -------------------------------------------------------------------------

# named is what the user name alone says the writer is: one of exactly four names, so the rules
# below test it positively (writer == "person" for "not always_allowed"), which is cheaper than a
# negation.
named := "gitops" if {
	data.driftgate.config.gitopsIdentities[input.user.name]
} else := "self" if {
	input.user.name == data.driftgate.config.selfIdentity
} else := "system" if {
	data.driftgate.config.systemIdentities[input.user.name]
} else := "system" if {
	some prefix in data.driftgate.config.systemPrefixes
	startswith(input.user.name, prefix)
} else := "system" if {
	some group in input.user.groups
	data.driftgate.config.systemGroups[group]
} else := "person"

# writer is who writes. A name counts as the identity it names only when the API server
# authenticated the request from that identity's own credential (input.user.credential: a
# service-account token's JTI, a client certificate's hash), which impersonation cannot set, or
# when config.withoutCredential accepts the name without one. Anyone else wearing the name (a
# person with `impersonate` on service accounts, which the built-in edit role grants) is a person.
writer := named if {
	authenticated_as_named
} else := "person"

authenticated_as_named if input.user.credential != ""

authenticated_as_named if data.driftgate.config.withoutCredential[input.user.name]

# worn_name is a person writing under the name of an always-allowed identity.
worn_name if {
	writer == "person"
	named != "person"
}

# system_identity, always_allowed and break_glass (like object_ref, namespace_text and
# request_hint below) are not read by the decision wherever it spells them out more cheaply; they
# stay defined for operators' policies.
system_identity if writer == "system"

always_allowed if writer in {"gitops", "self", "system"}

# ---- break-glass ----------------------------------------------------------------------------

# input.grants already cover the user, namespace and resource; expiry is checked once more here
# against the request time, so an expired grant allows nothing whatever its phase says. The times
# are compared in nanoseconds (parsing two RFC 3339 strings costs more than the rest of the rule).
# Both must be numbers (Rego orders null and booleans before numbers): without a numeric request
# time no grant is live, nor is a grant without a numeric expiry. Evaluating live_grants never
# fails, so the rules below may read it first.
live_grants := [g |
	is_number(input.timeNs)
	some g in input.grants
	g.phase == "Active"
	is_number(g.expiresAtNs)
	g.expiresAtNs > input.timeNs
]

permitted if count(data.driftgate.admission.permit) > 0

# A status write carries the object's metadata too. One that changes nothing outside .status
# (what controllers write) leaves alone what Git declares; one that changes metadata is decided
# like any other write.
permit contains "a status write that changes nothing outside .status" if {
	input.subresource == "status"
	count(input.changedPaths) == 0
	count(input.guardedChanges) == 0
}

break_glass if {
	input.ownership.owned
	not always_allowed
	not permitted
	count(live_grants) > 0
}

# ---- what is refused ------------------------------------------------------------------------

# A person's write under a grant (the break-glass branch of decision reads deny) fails this rule
# at its first line.
deny contains owned_denial if {
	count(live_grants) == 0
	input.ownership.owned
	writer == "person"
	not permitted
}

# owned_denial is the refusal of a write to an owned object without a grant, formatted in one
# sprintf per scope (object_ref, namespace_text and request_hint spelled out).
owned_denial := sprintf(
	"%s %s/%s is owned by %s; %s is not a GitOps identity%s and holds no active break-glass grant for %s in namespace %s. Change it in Git, or request break-glass: driftgate breakglass request --namespace %s --resource %s --for 1h --ticket <TICKET> --reason \"<why>\"",
	[input.kind, input.namespace, input.name, input.ownership.owner, input.user.name, identity_note, input.resource, input.namespace, input.namespace, input.resource],
) if {
	input.namespace != ""
} else := sprintf(
	"%s %s is owned by %s; %s is not a GitOps identity%s and holds no active break-glass grant for %s in the cluster scope. Change it in Git, or request break-glass: break-glass grants cover namespaces only; change cluster-scoped objects in Git",
	[input.kind, input.name, input.ownership.owner, input.user.name, identity_note, input.resource],
)

# identity_note explains a denial of a name that would be allowed with its own credential.
identity_note := " (the request wears its name without its credential: impersonated, so it counts as a person)" if {
	worn_name
} else := ""

# System controllers copy template labels onto the objects they create (a ReplicaSet's pods), so
# they may carry markers; people, and driftgate itself, may not touch them.
deny contains msg if {
	some change in input.guardedChanges
	writer in {"self", "person"}
	guarded(change)
	msg := sprintf(
		"%s is a GitOps %s on %s: only GitOps identities may add, change or remove it (break-glass grants do not cover it). Change it in Git",
		[change.path, change_kind[change.kind], object_ref],
	)
}

guarded(change) if change.kind == "marker"

guarded(change) if change.kind == "modeSwitch"

# driftgate itself sets and lifts Flux's reconcile switch to keep a break-glass fix from being
# undone before it is resolved (docs/breakglass.md, "Self-heal protection"); people never may.
guarded(change) if {
	change.kind == "pauseSwitch"
	input.ownership.owned
	writer == "person"
}

change_kind := {"marker": "ownership marker", "pauseSwitch": "pause switch", "modeSwitch": "driftgate mode switch"}

object_ref := sprintf("%s %s/%s", [input.kind, input.namespace, input.name]) if input.namespace != ""

else := sprintf("%s %s", [input.kind, input.name])

namespace_text := sprintf("namespace %s", [input.namespace]) if input.namespace != ""

else := "the cluster scope"

request_hint := sprintf(
	"driftgate breakglass request --namespace %s --resource %s --for 1h --ticket <TICKET> --reason \"<why>\"",
	[input.namespace, input.resource],
) if {
	input.namespace != ""
} else := "break-glass grants cover namespaces only; change cluster-scoped objects in Git"

# ---- the answer ------------------------------------------------------------------------------
# One branch per outcome; only the branches up to the one taken are evaluated, and every rule they
# read is evaluated once (deny, writer and live_grants are read from the cache after that). Each
# rule read and each value assembled costs about a microsecond, so the common writes have branches
# of their own for the usual case: a GitOps controller's write, a person's namespaced write under a
# grant that is not a dry-run, and a refusal in enforce mode, each with no warn rules defined
# (`not data.driftgate.admission.warn` holds only then). They answer with constants where they can
# and sort no warnings; the general branches after them give the same answer in every case.

decision := {
	"allowed": true,
	"reason": "GitOps identity",
	"writer": "gitops",
	"warnings": [],
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
} if {
	writer == "gitops"
	not data.driftgate.admission.warn
	count(deny) == 0
} else := {
	"allowed": true,
	"reason": sprintf("break-glass grant %s (ticket %s)", [g.name, g.ticket]),
	"writer": "person",
	"warnings": [sprintf(
		"driftgate: break-glass write to %s %s/%s (owned by %s) under grant %s, ticket %s: it is recorded and must be backported to Git or reverted",
		[input.kind, input.namespace, input.name, input.ownership.owner, g.name, g.ticket],
	)],
	"grant": g.name,
	"ticket": g.ticket,
	"record": true,
	"auditAnnotations": {"grant": g.name, "ticket": g.ticket},
} if {
	# break_glass spelled out, for a namespaced object (object_ref spelled out). A refusal
	# fails at the first line (every rule read costs, even when cached).
	g := live_grants[0]
	writer == "person"
	input.ownership.owned
	not permitted
	count(deny) == 0
	input.namespace != ""
	input.dryRun == false
	not data.driftgate.admission.warn
} else := allowed_decision if {
	count(deny) == 0
} else := {
	"allowed": false,
	"reason": denials,
	"writer": writer,
	"warnings": [],
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
} if {
	# enforced, spelled out: an operator's rule can make more writes enforced, never fewer, and
	# the general branch below reads the rule.
	not input.mode in {"warn", "dryrun"}
	not data.driftgate.admission.warn
} else := {
	"allowed": false,
	"reason": denials,
	"writer": writer,
	"warnings": extra_warnings,
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
} if {
	enforced
} else := {
	"allowed": true,
	"reason": sprintf("%s mode: would deny: %s", [input.mode, denials]),
	"writer": writer,
	"warnings": sort(array.concat(mode_warning, extra_warnings)),
	"grant": "",
	"ticket": "",
	"record": warn_record,
	"auditAnnotations": {"mode": input.mode, "would-deny": "true"},
}

# allowed_decision is the decision for a write nothing denies. Its branches exclude each other
# (writer is one of exactly four names, so writer == "person" is "not always_allowed"; the
# plain_reason branch is undefined for a person's write to an owned object), so their order does
# not change the answer.
allowed_decision := {
	"allowed": true,
	"reason": sprintf("break-glass grant %s (ticket %s)", [g.name, g.ticket]),
	"writer": writer,
	"warnings": sort(array.concat([break_glass_warning(g)], extra_warnings)),
	"grant": g.name,
	"ticket": g.ticket,
	"record": not_dry_run,
	"auditAnnotations": {"grant": g.name, "ticket": g.ticket},
} if {
	# break_glass, spelled out.
	writer == "person"
	input.ownership.owned
	not permitted
	g := live_grants[0]
} else := {
	"allowed": true,
	"reason": reason,
	"writer": writer,
	"warnings": extra_warnings,
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
} if {
	reason := plain_reason
} else := {
	"allowed": true,
	"reason": sprintf("permitted by policy: %s", [concat("; ", sort([p | some p in data.driftgate.admission.permit]))]),
	"writer": writer,
	"warnings": extra_warnings,
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
}

# break_glass_warning tells the writer what a write under grant g leaves behind: a record, which
# must be backported to Git or reverted; a dry run leaves nothing.
break_glass_warning(g) := sprintf(
	"driftgate: dry run of a break-glass write to %s (owned by %s) under grant %s, ticket %s: allowed; nothing was recorded, and a real write would be recorded and must be backported to Git or reverted",
	[object_ref, input.ownership.owner, g.name, g.ticket],
) if {
	input.dryRun
} else := sprintf(
	"driftgate: break-glass write to %s (owned by %s) under grant %s, ticket %s: it is recorded and must be backported to Git or reverted",
	[object_ref, input.ownership.owner, g.name, g.ticket],
)

# plain_reason is defined only for writes allowed without any break-glass or policy exception.
# allowed_reason has a key for exactly the always-allowed writers.
plain_reason := allowed_reason[writer] if {
	true
} else := "not GitOps-owned" if {
	not input.ownership.owned
}

allowed_reason := {"gitops": "GitOps identity", "self": "driftgate itself", "system": "system controller"}

enforced if not input.mode in {"warn", "dryrun"}

denials := concat("; ", sort(deny))

extra_warnings := sort([sprintf("driftgate: %s", [m]) | some m in data.driftgate.admission.warn])

# warn mode tells the writer; dryrun mode only logs and counts.
mode_warning := [sprintf("driftgate warn mode: this write would be denied: %s", [denials])] if {
	input.mode == "warn"
} else := []

# A write let through by warn mode is recorded as an unauthorized edit; dry-runs never are.
warn_record := true if {
	input.mode == "warn"
	not input.dryRun
} else := false

not_dry_run := true if not input.dryRun

else := false
