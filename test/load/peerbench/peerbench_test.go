package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/test/loadserve"
	"github.com/driftgate/driftgate/webhook"
)

// TestTemplateDecidesAsDriftgate checks, without Gatekeeper, that the benchmark's
// ConstraintTemplate and driftgate decide the decision checks alike and as expected: the
// template's Rego is evaluated with OPA as Gatekeeper's hook runs it (input.review is the
// AdmissionRequest, input.parameters the constraint's, with the same grants driftgate holds).
// make bench-peers checks the same against the real Gatekeeper.
func TestTemplateDecidesAsDriftgate(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	grants := loadgen.Grants(1000, now)
	tmpl, err := template()
	if err != nil {
		t.Fatal(err)
	}
	src, err := regoOf(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	c, err := constraint(grants)
	if err != nil {
		t.Fatal(err)
	}
	params := c.Object["spec"].(map[string]any)["parameters"]
	query, err := rego.New(rego.Query("data.driftgateownership.violation"), rego.Module(templateFile, src)).PrepareForEval(ctx)
	if err != nil {
		t.Fatalf("the template's Rego: %v", err)
	}
	handler, err := loadserve.Handler(len(grants), now)
	if err != nil {
		t.Fatal(err)
	}
	for _, check := range decisionChecks() {
		t.Run(check.Name, func(t *testing.T) {
			var review struct {
				Request map[string]any `json:"request"`
			}
			if err := json.Unmarshal(check.Body, &review); err != nil {
				t.Fatal(err)
			}
			rs, err := query.Eval(ctx, rego.EvalInput(map[string]any{"review": review.Request, "parameters": params}))
			if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
				t.Fatalf("evaluating the template: %v (%d results)", err, len(rs))
			}
			violations, _ := rs[0].Expressions[0].Value.([]any)
			if gk := len(violations) == 0; gk != check.Allowed {
				t.Errorf("the template allowed %t, want %t (violations %v)", gk, check.Allowed, violations)
			}
			if dg := driftgateAllows(t, handler, check.Body); dg != check.Allowed {
				t.Errorf("driftgate allowed %t, want %t", dg, check.Allowed)
			}
		})
	}
}

// driftgateAllows is driftgate's answer to the review body.
func driftgateAllows(t *testing.T, h http.Handler, body []byte) bool {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	var out struct {
		Response *struct {
			Allowed bool `json:"allowed"`
		} `json:"response"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
		t.Fatalf("driftgate's answer (HTTP %d): %v: %.200s", rec.Code, err, rec.Body.String())
	}
	return out.Response.Allowed
}
