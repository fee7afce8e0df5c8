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
	Operation string
	User      string
	Groups    []string
	// Credential is the kind of credential the API server authenticated the request with, from
	// userInfo.extra's credential id: "JTI" (a service-account token), "X509SHA256" (a client
	// certificate); empty when it has none, as with impersonation.
	Credential     string
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

// value is the input as the AST value the evaluation reads, its keys the terms in k.
func (in *Input) value(k *keys) ast.Value {
	b := &inputBuilder{keys: k, terms: make([]ast.Term, 0, in.termCount())}
	return b.input(in)
}

func (b *inputBuilder) input(in *Input) ast.Value {
	k := b.keys
	return ast.NewObject(
		b.item(k.operation, ast.String(in.Operation)),
		b.item(k.user, ast.NewObject(
			b.item(k.name, ast.String(in.User)),
			b.item(k.groups, b.strings(in.Groups)),
			b.item(k.credential, ast.String(in.Credential)),
		)),
		b.item(k.resource, ast.String(in.Resource)),
		b.item(k.subresource, ast.String(in.Subresource)),
		b.item(k.kind, ast.String(in.Kind)),
		b.item(k.namespace, ast.String(in.Namespace)),
		b.item(k.name, ast.String(in.Name)),
		b.item(k.dryRun, ast.Boolean(in.DryRun)),
		b.item(k.mode, ast.String(in.Mode)),
		b.item(k.time, ast.String(in.Time.UTC().Format(time.RFC3339Nano))),
		b.item(k.timeNs, requestNanos(in.Time)),
		b.item(k.ownership, ast.NewObject(
			b.item(k.owned, ast.Boolean(in.Ownership.Owned)),
			b.item(k.owner, ast.String(in.Ownership.Owner)),
			b.item(k.marker, ast.String(in.Ownership.Marker)),
		)),
		b.item(k.changedPaths, b.strings(in.ChangedPaths)),
		b.item(k.guardedChanges, b.guarded(in.GuardedChanges)),
		b.item(k.grants, b.grantList(in.Grants)),
	)
}

// termCount is the number of value terms value makes.
func (in *Input) termCount() int {
	return 21 + len(in.Groups) + len(in.ChangedPaths) + 3*len(in.GuardedChanges) + 6*len(in.Grants)
}

// inputBuilder makes the value terms of one input from one block of memory: an input has a few
// dozen of them, and allocating each alone costs more than filling them in.
type inputBuilder struct {
	keys  *keys
	terms []ast.Term
}

func (b *inputBuilder) term(v ast.Value) *ast.Term {
	if len(b.terms) == cap(b.terms) {
		b.terms = make([]ast.Term, 0, 8) // termCount was short; the terms made so far stay valid
	}
	b.terms = append(b.terms, ast.Term{Value: v})
	return &b.terms[len(b.terms)-1]
}

func (b *inputBuilder) item(k *ast.Term, v ast.Value) [2]*ast.Term { return ast.Item(k, b.term(v)) }

func (b *inputBuilder) strings(ss []string) ast.Value {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = b.term(ast.String(s))
	}
	return ast.NewArray(terms...)
}

func (b *inputBuilder) guarded(cs []GuardedChange) ast.Value {
	k := b.keys
	terms := make([]*ast.Term, len(cs))
	for i, c := range cs {
		terms[i] = b.term(ast.NewObject(b.item(k.path, ast.String(c.Path)), b.item(k.kind, ast.String(c.Kind))))
	}
	return ast.NewArray(terms...)
}

func (b *inputBuilder) grantList(gs []Grant) ast.Value {
	k := b.keys
	terms := make([]*ast.Term, len(gs))
	for i, g := range gs {
		terms[i] = b.term(ast.NewObject(
			b.item(k.name, ast.String(g.Name)),
			b.item(k.ticket, ast.String(g.Ticket)),
			b.item(k.phase, ast.String(g.Phase)),
			b.item(k.expiresAt, ast.String(g.ExpiresAt.UTC().Format(time.RFC3339))),
			b.item(k.expiresAtNs, nanos(g.ExpiresAt)),
		))
	}
	return ast.NewArray(terms...)
}

// requestNanos is the request time for timeNs; an unset time is null, which makes no grant live.
func requestNanos(t time.Time) ast.Value {
	if t.IsZero() {
		return ast.Null{}
	}
	return nanos(t)
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
