package policies

import (
	"math"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Input is the small document a decision is made on (docs/policies.md lists its fields).
// It is built from the AdmissionReview, never the review itself: converting a whole review
// costs far more than the decision.
type Input struct {
	Operation      string
	User           string
	Groups         []string
	Resource       string // "deployments.apps", "configmaps"
	Subresource    string
	Kind           string
	Namespace      string
	Name           string
	DryRun         bool
	Mode           string
	Time           time.Time
	Ownership      Ownership
	ChangedPaths   []string
	GuardedChanges []GuardedChange
	Grants         []Grant
}

// Ownership says whether, and by whom, the object is GitOps-owned.
type Ownership struct {
	Owned bool
	// Owner describes the owner for people: `Argo CD application "checkout"`.
	Owner string
	// Marker is the label or annotation key that made it owned.
	Marker string
}

// GuardedChange is an added, changed or removed ownership marker or pause switch.
type GuardedChange struct {
	Path string
	Kind string // "marker" or "pauseSwitch"
}

// Grant is an active break-glass grant covering the request.
type Grant struct {
	Name      string
	Ticket    string
	Phase     string
	ExpiresAt time.Time
}

// value is the input as the AST value the evaluation reads. Its keys are the terms in keys, made
// once per engine rather than once per request.
func (in *Input) value(k *inputKeys) ast.Value {
	return ast.NewObject(
		item(k.operation, ast.String(in.Operation)),
		item(k.user, ast.NewObject(
			item(k.name, ast.String(in.User)),
			item(k.groups, stringArray(in.Groups)),
		)),
		item(k.resource, ast.String(in.Resource)),
		item(k.subresource, ast.String(in.Subresource)),
		item(k.kind, ast.String(in.Kind)),
		item(k.namespace, ast.String(in.Namespace)),
		item(k.name, ast.String(in.Name)),
		item(k.dryRun, ast.Boolean(in.DryRun)),
		item(k.mode, ast.String(in.Mode)),
		item(k.time, ast.String(in.Time.UTC().Format(time.RFC3339Nano))),
		item(k.timeNs, nanos(in.Time)),
		item(k.ownership, ast.NewObject(
			item(k.owned, ast.Boolean(in.Ownership.Owned)),
			item(k.owner, ast.String(in.Ownership.Owner)),
			item(k.marker, ast.String(in.Ownership.Marker)),
		)),
		item(k.changedPaths, stringArray(in.ChangedPaths)),
		item(k.guardedChanges, k.guarded(in.GuardedChanges)),
		item(k.grants, k.grantList(in.Grants)),
	)
}

// inputKeys are the terms of the input's keys. Terms are immutable once built, so every
// evaluation can share them.
type inputKeys struct {
	operation, user, name, groups, resource, subresource, kind, namespace, dryRun, mode, time,
	ownership, owned, owner, marker, changedPaths, guardedChanges, path, grants, ticket, phase,
	expiresAt, timeNs, expiresAtNs *ast.Term
}

func newInputKeys() *inputKeys {
	return &inputKeys{
		operation: ast.StringTerm("operation"), user: ast.StringTerm("user"), name: ast.StringTerm("name"),
		groups: ast.StringTerm("groups"), resource: ast.StringTerm("resource"),
		subresource: ast.StringTerm("subresource"), kind: ast.StringTerm("kind"),
		namespace: ast.StringTerm("namespace"), dryRun: ast.StringTerm("dryRun"), mode: ast.StringTerm("mode"),
		time: ast.StringTerm("time"), ownership: ast.StringTerm("ownership"), owned: ast.StringTerm("owned"),
		owner: ast.StringTerm("owner"), marker: ast.StringTerm("marker"),
		changedPaths: ast.StringTerm("changedPaths"), guardedChanges: ast.StringTerm("guardedChanges"),
		path: ast.StringTerm("path"), grants: ast.StringTerm("grants"), ticket: ast.StringTerm("ticket"),
		phase: ast.StringTerm("phase"), expiresAt: ast.StringTerm("expiresAt"),
		timeNs: ast.StringTerm("timeNs"), expiresAtNs: ast.StringTerm("expiresAtNs"),
	}
}

func item(k *ast.Term, v ast.Value) [2]*ast.Term { return ast.Item(k, ast.NewTerm(v)) }

func stringArray(ss []string) ast.Value {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.NewArray(terms...)
}

func (k *inputKeys) guarded(cs []GuardedChange) ast.Value {
	terms := make([]*ast.Term, len(cs))
	for i, c := range cs {
		terms[i] = ast.NewTerm(ast.NewObject(item(k.path, ast.String(c.Path)), item(k.kind, ast.String(c.Kind))))
	}
	return ast.NewArray(terms...)
}

func (k *inputKeys) grantList(gs []Grant) ast.Value {
	terms := make([]*ast.Term, len(gs))
	for i, g := range gs {
		terms[i] = ast.NewTerm(ast.NewObject(
			item(k.name, ast.String(g.Name)),
			item(k.ticket, ast.String(g.Ticket)),
			item(k.phase, ast.String(g.Phase)),
			item(k.expiresAt, ast.String(g.ExpiresAt.UTC().Format(time.RFC3339))),
			item(k.expiresAtNs, nanos(g.ExpiresAt)),
		))
	}
	return ast.NewArray(terms...)
}

// nanos is t in nanoseconds since the Unix epoch, as OPA's time built-ins count: comparing two
// of them costs far less than parsing two RFC 3339 strings. Times outside what nanoseconds can
// count (before 1678, after 2262) read as the least or greatest count, so they still compare.
func nanos(t time.Time) ast.Value {
	n := t.UnixNano()
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		n = math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	}
	return ast.Number(strconv.FormatInt(n, 10))
}
