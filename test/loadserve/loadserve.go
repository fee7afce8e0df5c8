// Package loadserve is driftgate's admission handler as the load tool and the peer benchmark
// serve it: offline, with test/loadgen's grants. It is apart from loadgen, which the webhook's
// and jsonpair's own tests import: the handler imports them.
package loadserve

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/webhook"
)

// Handler is driftgate's admission handler (the http.Handler the webhook server registers at
// webhook.Path) with the default configuration, deciding offline with loadgen.Grants(n, now)
// loaded and each break-glass record built in memory (memoryRecorder).
func Handler(n int, now time.Time) (*webhook.Handler, error) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		return nil, err
	}
	return &webhook.Handler{
		Decider:  webhook.Offline(engine, cfg, clientgoscheme.Scheme, loadgen.Grants(n, now), cfg.Mode, nil, now),
		Exempt:   cfg.Exempt,
		Log:      logr.Discard(),
		Recorder: memoryRecorder{},
	}, nil
}

// memoryRecorder builds each break-glass record as the webhook would and keeps none: the load
// tool and the peer benchmark measure the webhook, not the API server that stores records in a
// cluster.
type memoryRecorder struct{}

func (memoryRecorder) Record(_ context.Context, req *webhook.Request, res *webhook.Result) error {
	_ = webhook.NewEdit(req, res, metav1.Now())
	return nil
}
