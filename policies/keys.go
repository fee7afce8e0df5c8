package policies

import "github.com/open-policy-agent/opa/v1/ast"

// keys are the terms of the keys of the input document and of the decision, made once per engine
// rather than once per request (ast.InternedTerm allocates for keys outside OPA's own table).
// Terms are immutable once built, so every evaluation can share them.
type keys struct {
	// input
	operation, user, name, groups, credential, resource, subresource, kind, namespace, dryRun, mode, time,
	timeNs, ownership, owned, owner, marker, changedPaths, guardedChanges, path, grants, ticket,
	phase, expiresAt, expiresAtNs *ast.Term
	// decision (and ticket, above)
	allowed, reason, writer, grant, record, warnings, auditAnnotations *ast.Term
}

func newKeys() *keys {
	t := ast.StringTerm
	return &keys{
		operation: t("operation"), user: t("user"), name: t("name"), groups: t("groups"),
		credential: t("credential"),
		resource:   t("resource"), subresource: t("subresource"), kind: t("kind"),
		namespace: t("namespace"), dryRun: t("dryRun"), mode: t("mode"), time: t("time"),
		timeNs: t("timeNs"), ownership: t("ownership"), owned: t("owned"), owner: t("owner"),
		marker: t("marker"), changedPaths: t("changedPaths"), guardedChanges: t("guardedChanges"),
		path: t("path"), grants: t("grants"), ticket: t("ticket"), phase: t("phase"),
		expiresAt: t("expiresAt"), expiresAtNs: t("expiresAtNs"),
		allowed: t("allowed"), reason: t("reason"), writer: t("writer"), grant: t("grant"),
		record: t("record"), warnings: t("warnings"), auditAnnotations: t("auditAnnotations"),
	}
}
