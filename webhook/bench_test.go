package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
			d := benchDecider(b)
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

// BenchmarkServeHTTP measures one whole answer as the webhook server gives it: reading and
// decoding the ~14 KB review, the decision with 1,000 grants loaded, the break-glass record built
// in memory, and the encoded answer. It reports the median of single answers as p50-ns.
func BenchmarkServeHTTP(b *testing.B) {
	for _, user := range []string{"alice", "system:serviceaccount:argocd:argocd-application-controller"} {
		b.Run(user, func(b *testing.B) {
			h := &webhook.Handler{
				Decider:  benchDecider(b),
				Exempt:   func(string) bool { return false },
				Log:      logr.Discard(),
				Recorder: buildOnly{},
			}
			body := loadgen.UpdateReview("u", user)
			testutil.BenchP50(b, func() {
				r := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if !bytes.Contains(w.Body.Bytes(), []byte(`"allowed":true`)) {
					b.Fatalf("not allowed: %s", w.Body)
				}
			})
		})
	}
}

// benchDecider decides offline with the default configuration in enforce mode and 1,000 grants.
func benchDecider(b *testing.B) *webhook.Decider {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	return webhook.Offline(engine, cfg, clientgoscheme.Scheme, loadgen.Grants(1000, now), config.ModeEnforce, nil, now)
}

// buildOnly builds each break-glass record as the webhook would and keeps none of them.
type buildOnly struct{}

func (buildOnly) Record(_ context.Context, req *webhook.Request, res *webhook.Result) error {
	_ = webhook.NewEdit(req, res, metav1.Now())
	return nil
}
