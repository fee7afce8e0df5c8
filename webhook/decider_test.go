package webhook_test

import (
	"context"
	"testing"

	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

// TestDecisionFixtures runs the shipped decision fixtures (AdmissionReview in, decision out)
// through the same decider the webhook uses.
func TestDecisionFixtures(t *testing.T) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	results, err := webhook.RunFixtures(context.Background(), policies.Fixtures, "fixtures", engine, cfg, clientgoscheme.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 7 {
		t.Fatalf("ran %d fixtures, expected the shipped set (at least 7)", len(results))
	}
	for _, r := range results {
		if r.Problem != "" {
			t.Errorf("%s: %s", r.Name, r.Problem)
		}
	}
}
