package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/webhook"
)

// setupWebhook adds the admission webhook (every replica): the policy and its watcher, the
// handler, the serving certificate and its metric, the server, and the Registrar (leader only).
func setupWebhook(ctx context.Context, mgr manager.Manager, o Options, draining func() bool) error {
	cfg, log := o.Config, o.Log
	engine, err := NewEngine(ctx, cfg, cfg.Policy.Dir)
	if err != nil {
		return err
	}
	if cfg.Policy.Dir != "" {
		w := &policies.Watcher{Engine: engine, Dir: cfg.Policy.Dir, Log: log.WithName("policy"), Settle: 200 * time.Millisecond}
		if err := mgr.Add(w); err != nil {
			return fmt.Errorf("adding the policy watcher: %w", err)
		}
	}
	log.Info("policy loaded", logkeys.Policy, engine.Version(), logkeys.Dir, cfg.Policy.Dir)
	m, err := webhook.NewMetrics(o.Metrics)
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	srv, err := newWebhookServer(o)
	if err != nil {
		return err
	}
	if err := webhook.Setup(ctx, mgr, srv, webhook.Options{Config: cfg, Engine: engine, Metrics: m, Log: log.WithName("admission"),
		Draining: draining, Pauser: protect.New(mgr, cfg, nil)}); err != nil {
		return err
	}
	certOpts := certs.Options{
		Mode: o.CertMode, CertDir: o.CertDir,
		Namespace: cfg.Webhook.Namespace, Service: cfg.Webhook.ServiceName,
		SecretName: cfg.Webhook.ServiceName + "-cert", WebhookConfiguration: cfg.Webhook.ConfigurationName,
	}
	ready, mode, err := certs.Setup(ctx, mgr, certOpts)
	if err != nil {
		return err
	}
	log.Info("webhook certificate", logkeys.CertMode, mode, logkeys.Dir, o.CertDir)
	if err := certs.RegisterExpiryMetric(o.Metrics, o.CertDir); err != nil {
		return fmt.Errorf("registering the certificate metric: %w", err)
	}
	reg := &webhook.Registrar{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Config: cfg, Log: log.WithName("registration"),
		CABundle: certs.CABundle(mode, certOpts, mgr.GetAPIReader())}
	if err := reg.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the webhook registration: %w", err)
	}
	if err := mgr.Add(afterReady{ready: ready, run: srv}); err != nil {
		return fmt.Errorf("adding the webhook server: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook", srv.StartedChecker()); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	return nil
}

// newWebhookServer is the webhook's HTTPS server: HTTP/1 only, and, with a client CA, only for
// callers presenting a certificate it signed (Check has refused client CNs without one).
func newWebhookServer(o Options) (crwebhook.Server, error) {
	tlsOpts := []func(*tls.Config){http1Only}
	if o.ClientCA != "" {
		verify, err := certs.ClientVerification(o.ClientCA, o.ClientCNs)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		tlsOpts = append(tlsOpts, verify)
	}
	return crwebhook.NewServer(crwebhook.Options{Host: o.WebhookHost, Port: o.WebhookPort, CertDir: o.CertDir,
		CertName: certs.CertName, KeyName: certs.KeyName, TLSOpts: tlsOpts}), nil
}

// http1Only turns HTTP/2 off on the webhook server (CVE-2023-44487, rapid reset); the API server
// falls back to HTTP/1.1. The metrics server serves plain HTTP/1.1 without it.
func http1Only(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }

// afterReady starts the webhook server once its certificate is in place. It runs on every
// replica, leader or not.
type afterReady struct {
	ready <-chan struct{}
	run   manager.Runnable
}

func (a afterReady) Start(ctx context.Context) error {
	select {
	case <-a.ready:
		return a.run.Start(ctx)
	case <-ctx.Done():
		return nil
	}
}

func (a afterReady) NeedLeaderElection() bool { return false }
