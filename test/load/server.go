package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/webhook"
)

// startInProcess serves driftgate's admission handler (the same http.Handler the webhook
// server registers, over TLS) with n grants loaded.
func startInProcess(n int, addr string) (*httptest.Server, error) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		return nil, err
	}
	h := &webhook.Handler{
		Decider:  webhook.Offline(engine, cfg, clientgoscheme.Scheme, loadgen.Grants(n, time.Now()), cfg.Mode, nil, time.Now()),
		Exempt:   cfg.Exempt,
		Log:      logr.Discard(),
		Recorder: memoryRecorder{},
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, h)
	srv := httptest.NewUnstartedServer(mux)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.StartTLS()
	return srv, nil
}

// memoryRecorder builds each break-glass record as the webhook would and keeps none: the load
// tool measures the webhook, not the API server that stores records in a cluster.
type memoryRecorder struct{}

func (memoryRecorder) Record(_ context.Context, req *webhook.Request, res *webhook.Result) error {
	_ = webhook.NewEdit(req, res, metav1.Now())
	return nil
}
