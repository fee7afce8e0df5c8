// Package regotest runs the Rego unit tests of driftgate's policies (`driftgate policy test`).
// It is apart from package policies because OPA's test runner links Go's testing package, which
// nothing that serves admission needs.
package regotest

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/driftgate/driftgate/policies"
)

// TestResult is the outcome of one Rego unit test.
type TestResult struct {
	Name   string // package.rule
	File   string
	Passed bool
	// Skipped marks a test OPA skips (a todo_test_ rule): neither passed nor failed.
	Skipped bool
	Detail  string // why it failed (the error, or that the test is false); empty unless it failed
}

// RunTests runs every test_ rule in mods (policy and *_test.rego files together) with data as
// the data document.
func RunTests(ctx context.Context, mods policies.Modules, data map[string]any) ([]TestResult, error) {
	parsed := make(map[string]*ast.Module, len(mods))
	for _, name := range mods.Names() {
		m, err := ast.ParseModuleWithOpts(name, mods[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		parsed[name] = m
	}
	ch, err := tester.NewRunner().
		SetCompiler(ast.NewCompiler().WithEnablePrintStatements(true)).
		SetStore(inmem.NewFromObject(data)).
		Run(ctx, parsed)
	if err != nil {
		return nil, fmt.Errorf("running Rego tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		res := TestResult{Name: r.Package + "." + r.Name, Passed: r.Pass(), Skipped: r.Skip}
		if r.Location != nil {
			res.File = r.Location.File
		}
		switch {
		case r.Error != nil:
			res.Detail = r.Error.Error()
		case !res.Passed && !res.Skipped:
			res.Detail = "the test is false or undefined"
		}
		out = append(out, res)
	}
	return out, nil
}
