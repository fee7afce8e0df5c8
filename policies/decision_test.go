package policies

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
)

// TestDecisionFromValueMatchesJSON checks that reading a decision straight from its AST value
// gives what the JSON route gives, for the policy's own shapes and for odd ones.
func TestDecisionFromValueMatchesJSON(t *testing.T) {
	docs := []string{
		`{"allowed": true, "reason": "GitOps identity", "writer": "gitops", "warnings": [], "grant": "", "ticket": "", "record": false, "auditAnnotations": {}}`,
		`{"allowed": true, "reason": "r", "writer": "person", "warnings": ["b", "a"], "grant": "g", "ticket": "T", "record": true, "auditAnnotations": {"grant": "g", "ticket": "T"}}`,
		`{"allowed": false, "reason": "no", "writer": "person", "warnings": ["x", 1], "grant": "", "ticket": "", "record": false, "auditAnnotations": {}}`,
		`{"allowed": true, "reason": "r", "writer": 7, "warnings": {"w"}, "grant": null, "ticket": "", "record": "yes", "auditAnnotations": {"n": 1, "b": true}}`,
		`{"allowed": true, "reason": "r"}`,
		`{"allowed": true, "reason": "r", "writer": "gitops", "warnings": [], "grant": "", "ticket": "", "record": false, "auditAnnotations": {}, "extra": 1}`,
		`{"allowed": "yes", "reason": "r", "writer": "gitops", "warnings": [], "grant": "", "ticket": "", "record": false, "auditAnnotations": {}}`,
		`{"allowed": true, "writer": "gitops", "warnings": [], "grant": "", "ticket": "", "record": false, "auditAnnotations": {}, "x": 1}`,
		`["not", "an", "object"]`,
	}
	for _, doc := range docs {
		v := ast.MustParseTerm(doc).Value
		j, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := decisionFrom(j)
		got, gotErr := decisionFromValue(v, newKeys())
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Errorf("%s: error %v, want %v", doc, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: decision (-json +ast):\n%s", doc, diff)
		}
	}
}
