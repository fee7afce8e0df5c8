package policies

import (
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
	Time           string // RFC 3339, UTC
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
	ExpiresAt string // RFC 3339, UTC
}

func (in *Input) value() ast.Value {
	return ast.NewObject(
		item("operation", ast.String(in.Operation)),
		item("user", ast.NewObject(
			item("name", ast.String(in.User)),
			item("groups", stringArray(in.Groups)),
		)),
		item("resource", ast.String(in.Resource)),
		item("subresource", ast.String(in.Subresource)),
		item("kind", ast.String(in.Kind)),
		item("namespace", ast.String(in.Namespace)),
		item("name", ast.String(in.Name)),
		item("dryRun", ast.Boolean(in.DryRun)),
		item("mode", ast.String(in.Mode)),
		item("time", ast.String(in.Time)),
		item("ownership", ast.NewObject(
			item("owned", ast.Boolean(in.Ownership.Owned)),
			item("owner", ast.String(in.Ownership.Owner)),
			item("marker", ast.String(in.Ownership.Marker)),
		)),
		item("changedPaths", stringArray(in.ChangedPaths)),
		item("guardedChanges", guarded(in.GuardedChanges)),
		item("grants", grants(in.Grants)),
	)
}

func item(k string, v ast.Value) [2]*ast.Term { return ast.Item(ast.StringTerm(k), ast.NewTerm(v)) }

func stringArray(ss []string) ast.Value {
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = ast.StringTerm(s)
	}
	return ast.NewArray(terms...)
}

func guarded(cs []GuardedChange) ast.Value {
	terms := make([]*ast.Term, len(cs))
	for i, c := range cs {
		terms[i] = ast.NewTerm(ast.NewObject(item("path", ast.String(c.Path)), item("kind", ast.String(c.Kind))))
	}
	return ast.NewArray(terms...)
}

func grants(gs []Grant) ast.Value {
	terms := make([]*ast.Term, len(gs))
	for i, g := range gs {
		terms[i] = ast.NewTerm(ast.NewObject(
			item("name", ast.String(g.Name)),
			item("ticket", ast.String(g.Ticket)),
			item("phase", ast.String(g.Phase)),
			item("expiresAt", ast.String(g.ExpiresAt)),
		))
	}
	return ast.NewArray(terms...)
}
