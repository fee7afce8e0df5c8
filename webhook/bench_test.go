package webhook_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/webhook"
)

// BenchmarkDecide measures the decision path for a ~14 KB Deployment UPDATE with 1,000 grants
// loaded, objects already decoded: ownership, changed paths, grant lookup and the Rego evaluation.
// It reports the median of single decisions as p50-ns.
func BenchmarkDecide(b *testing.B) {
	for _, user := range []string{"alice", "system:serviceaccount:argocd:argocd-application-controller", "mallory"} {
		b.Run(user, func(b *testing.B) {
			cfg := config.Default()
			engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			d := webhook.Offline(engine, cfg, clientgoscheme.Scheme, loadgen.Grants(1000, now), config.ModeEnforce, nil, now)
			var review admissionv1.AdmissionReview
			if err := json.Unmarshal(loadgen.UpdateReview("u", user), &review); err != nil {
				b.Fatal(err)
			}
			req, err := webhook.RequestFrom(review.Request)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			testutil.BenchP50(b, func() { d.Decide(ctx, req) })
		})
	}
}
