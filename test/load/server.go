package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/go-logr/logr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/webhook"
)

type inProcess struct {
	*httptest.Server
}

// startInProcess serves driftgate's admission handler (the same http.Handler the webhook
// server registers, over TLS) with n grants loaded.
func startInProcess(n int, http2 bool) (*inProcess, error) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		return nil, err
	}
	h := &webhook.Handler{
		Decider: webhook.Offline(engine, cfg, clientgoscheme.Scheme, loadgen.Grants(n, time.Now()), cfg.Mode, nil, time.Now()),
		Exempt:  cfg.Exempt,
		Log:     logr.Discard(),
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, h)
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = http2
	srv.StartTLS()
	return &inProcess{srv}, nil
}

func (s *inProcess) transport(conns int) http.RoundTripper {
	t := s.Client().Transport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = s.EnableHTTP2
	t.MaxIdleConnsPerHost, t.MaxConnsPerHost = conns, conns
	return t
}
