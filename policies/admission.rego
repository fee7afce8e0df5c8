# driftgate's default admission policy: only the GitOps controllers (and system controllers, and
# driftgate itself) write what Git owns; anyone else needs a live break-glass grant, and every
# write under one is recorded. docs/policies.md lists the input and these rules.
#
# Data: data.driftgate.config, built from driftgate.yaml.
# Operators extend this package from their own files with three sets:
#   deny contains msg     - refuse the write (subject to the namespace's mode)
#   warn contains msg     - allow, and warn the writer
#   permit contains why   - let a person's write to a GitOps-owned object through without a grant
#                           (markers and pause switches stay guarded)
package driftgate.admission

import rego.v1

config := data.driftgate.config

# ---- who is writing -------------------------------------------------------------------------

# named is who the user name (or, for kubelets, a group) says the writer is: a GitOps identity,
# driftgate itself, a system controller, or else a person.
named := "gitops" if {
	config.gitopsIdentities[input.user.name]
} else := "self" if {
	input.user.name == config.selfIdentity
} else := "system" if {
	config.systemIdentities[input.user.name]
} else := "system" if {
	some prefix in config.systemPrefixes
	startswith(input.user.name, prefix)
} else := "system" if {
	some group in input.user.groups
	config.systemGroups[group]
} else := "person"

# writer is who writes: "gitops", "self", "system" or "person". A name counts as the identity it
# names only when the API server authenticated the request from that identity's own credential
# (input.user.credential: a service-account token's JTI, a client certificate's hash), which
# impersonation cannot set, or when config.withoutCredential accepts the name without one. Anyone
# else wearing the name (a person with `impersonate` on service accounts, which the built-in edit
# role grants) is a person.
writer := named if {
	authenticated_as_named
} else := "person"

authenticated_as_named if input.user.credential != ""

authenticated_as_named if config.withoutCredential[input.user.name]

# worn_name is a person writing under the name of an always-allowed identity.
worn_name if {
	writer == "person"
	named != "person"
}

# system_identity: a system controller writes.
system_identity if writer == "system"

# always_allowed: GitOps identities, system controllers and driftgate itself may write what Git
# owns without a grant (the guarded changes below aside); everyone else is a person.
always_allowed if writer in {"gitops", "self", "system"}

# ---- break-glass ----------------------------------------------------------------------------

# live_grants are the grants the write may use. input.grants already cover the user, namespace and
# resource; a grant is live while it is Active and has not expired at the request time, so an
# expired grant allows nothing whatever its phase says. Times are compared in nanoseconds, and both
# must be numbers (Rego orders null and booleans before numbers): without a numeric request time no
# grant is live, nor is a grant without a numeric expiry.
live_grants := [g |
	is_number(input.timeNs)
	some g in input.grants
	g.phase == "Active"
	is_number(g.expiresAtNs)
	g.expiresAtNs > input.timeNs
]

# permitted: a permit rule lets a person's write to an owned object through without a grant.
permitted if count(permit) > 0

# A status write carries the object's metadata too. One that changes nothing outside .status
# (what controllers write) leaves alone what Git declares; one that changes metadata is decided
# like any other write.
permit contains "a status write that changes nothing outside .status" if {
	input.subresource == "status"
	count(input.changedPaths) == 0
	count(input.guardedChanges) == 0
}

# break_glass is a person's write to an owned object, which no permit rule lets through, under a
# live grant.
break_glass if {
	input.ownership.owned
	writer == "person"
	not permitted
	count(live_grants) > 0
}

# ---- what is refused ------------------------------------------------------------------------

# A person writing an owned object needs a live grant. The refusal names the owner, the reason and
# how to request break-glass.
deny contains msg if {
	input.ownership.owned
	writer == "person"
	not permitted
	count(live_grants) == 0
	msg := sprintf(
		"%s is owned by %s; %s is not a GitOps identity%s and holds no active break-glass grant for %s in %s. Change it in Git, or request break-glass: %s",
		[object_ref, input.ownership.owner, input.user.name, identity_note, input.resource, namespace_text, request_hint],
	)
}

# identity_note explains a refusal of a name that would be allowed with its own credential.
identity_note := " (the request wears its name without its credential: impersonated, so it counts as a person)" if {
	worn_name
} else := ""

# Only GitOps identities may add, change or remove ownership markers, the driftgate.io/mode label
# and, on an owned object, the GitOps tools' pause switches, grants or not. System controllers
# copy template labels onto the objects they create (a ReplicaSet's pods), so they may carry
# markers; people, and driftgate itself, may not touch them.
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

# object_ref names the object: "Deployment prod/checkout", "ClusterRole view".
object_ref := sprintf("%s %s/%s", [input.kind, input.namespace, input.name]) if input.namespace != ""

else := sprintf("%s %s", [input.kind, input.name])

namespace_text := sprintf("namespace %s", [input.namespace]) if input.namespace != ""

else := "the cluster scope"

# request_hint is how to ask for break-glass on this write; grants cover namespaces only.
request_hint := sprintf(
	"driftgate breakglass request --namespace %s --resource %s --for 1h --ticket <TICKET> --reason \"<why>\"",
	[input.namespace, input.resource],
) if {
	input.namespace != ""
} else := "break-glass grants cover namespaces only; change cluster-scoped objects in Git"

# ---- the answer ------------------------------------------------------------------------------

# decision is the answer. A write nothing denies is allowed (allowed_decision). A denied write is
# refused where the namespace's mode enforces; in warn and dryrun modes it is allowed, with a
# reason saying what would have been denied.
decision := allowed_decision if {
	count(deny) == 0
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

# allowed_decision answers a write nothing denies. A break-glass write is allowed with a warning
# and audit annotations naming the grant (the first live one) and its ticket, and leaves a record
# unless it is a dry run. A write by an always-allowed writer, or to an object no GitOps tool
# owns, is allowed plainly. Any other is allowed only if a permit rule let it through: a write
# the rules above cannot word a refusal for (an input without kind, resource or grant name) gets
# no decision, and the webhook denies it as a policy error.
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
	break_glass
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
	"reason": sprintf("permitted by policy: %s", [concat("; ", sort([p | some p in permit]))]),
	"writer": writer,
	"warnings": extra_warnings,
	"grant": "",
	"ticket": "",
	"record": false,
	"auditAnnotations": {},
} if {
	permitted
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

# plain_reason is why a write needs neither a grant nor a permit rule: its writer is always
# allowed, or no GitOps tool owns the object.
plain_reason := allowed_reason[writer] if always_allowed

else := "not GitOps-owned" if not input.ownership.owned

allowed_reason := {"gitops": "GitOps identity", "self": "driftgate itself", "system": "system controller"}

# enforced: the namespace's mode denies (enforce, the default). Operators may add to it.
enforced if not input.mode in {"warn", "dryrun"}

# denials are the reason of a denied write: every deny message.
denials := concat("; ", sort(deny))

# extra_warnings are the operators' warn rules' messages (the default policy has no warn rule).
extra_warnings := sort([sprintf("driftgate: %s", [m]) | some m in data.driftgate.admission.warn])

# warn mode tells the writer what would be denied; dryrun mode only logs and counts.
mode_warning := [sprintf("driftgate warn mode: this write would be denied: %s", [denials])] if {
	input.mode == "warn"
} else := []

# A write let through by warn mode is recorded as an unauthorized edit; dry runs never are.
warn_record := true if {
	input.mode == "warn"
	not input.dryRun
} else := false

# A break-glass write is recorded unless it is a dry run.
not_dry_run := true if not input.dryRun

else := false
