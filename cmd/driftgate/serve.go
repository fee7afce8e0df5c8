package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/webhook"
)

type serveOptions struct {
	configPath, kubeconfig, certDir, certMode string
	clientCA                                  string
	clientCNs                                 []string
	metricsAddr, probeAddr                    string
	webhookPort                               int
	shutdownDelay                             time.Duration
	leaderElect                               bool
	enableWebhook, enableGrants, enableAudit  bool
	log                                       logOptions
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the admission webhook, the break-glass grant controller and the drift audit loop",
		Example: `  driftgate serve --config /etc/driftgate/driftgate.yaml
  driftgate serve --kubeconfig ~/.kube/config --cert-dir ./certs --log-format console`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(ctrl.SetupSignalHandler(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "driftgate.yaml (default: built-in defaults)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	f.StringVar(&o.certDir, "cert-dir", "/tmp/driftgate/serving-certs", "directory of the webhook's tls.crt and tls.key")
	f.StringVar(&o.certMode, "cert-mode", "auto", "auto (provided files if present, else self), self (own CA, rotated) or provided")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Prometheus metrics address (0 disables)")
	f.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "healthz/readyz address")
	f.IntVar(&o.webhookPort, "webhook-port", 9443, "webhook server port")
	f.StringVar(&o.clientCA, "client-ca", "", "PEM CA bundle: when set, the webhook answers only callers with a client certificate it signed (the API server, given one by an AdmissionConfiguration); a forged review fails the handshake")
	f.StringSliceVar(&o.clientCNs, "client-cn", nil, "with --client-ca, the common names a caller's certificate may have (repeatable; default any)")
	f.DurationVar(&o.shutdownDelay, "shutdown-delay", 5*time.Second,
		"on SIGTERM, how long readiness fails while the webhook still serves, before it drains and stops")
	f.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader among replicas for the controllers (the webhook serves on every replica)")
	f.BoolVar(&o.enableWebhook, "enable-webhook", true, "serve the admission webhook")
	f.BoolVar(&o.enableGrants, "enable-grants", true, "run the break-glass grant controller (leader only)")
	f.BoolVar(&o.enableAudit, "enable-audit", true, "run the drift audit loop against the GitSources (leader only)")
	o.log.addFlags(f)
	return cmd
}

func runServe(ctx context.Context, o *serveOptions) error {
	if !o.enableWebhook && !o.enableGrants && !o.enableAudit {
		return errors.New("nothing to run: enable the webhook (--enable-webhook), the grant controller (--enable-grants) or the audit (--enable-audit)")
	}
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return err
	}
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	ctrl.SetLogger(log)
	restCfg, err := restConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	scheme, err := newScheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(restCfg, manager.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: cfg.Webhook.Namespace,
		// The process exits once the manager stops, so the lease can be handed over at once.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	d := &drain{delay: o.shutdownDelay, log: log}
	if err := mgr.AddReadyzCheck("shutdown", d.ready); err != nil {
		return fmt.Errorf("adding the readiness check: %w", err)
	}
	if o.enableWebhook {
		if err := setupWebhook(ctx, mgr, cfg, o, log, d.draining); err != nil {
			return err
		}
	}
	if o.enableGrants {
		c := &breakglass.Controller{Client: mgr.GetClient(), Config: cfg.BreakGlass, Clock: clock.RealClock{},
			Events: mgr.GetEventRecorder("driftgate-breakglass")}
		if err := c.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the grant controller: %w", err)
		}
		pm, err := protect.NewMetrics(metrics.Registry)
		if err != nil {
			return fmt.Errorf("registering the self-heal protection metrics: %w", err)
		}
		p := protect.New(mgr, cfg, pm)
		if err := p.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the self-heal protection: %w", err)
		}
	}
	if o.enableAudit {
		if err := setupAudit(mgr, cfg, log); err != nil {
			return err
		}
	}
	log.Info("starting driftgate", logkeys.Version, version, logkeys.Mode, cfg.Mode)
	return mgr.Start(d.run(ctx))
}

func setupWebhook(ctx context.Context, mgr manager.Manager, cfg *config.Config, o *serveOptions, log logr.Logger,
	draining func() bool) error {
	engine, err := newEngine(ctx, cfg, cfg.Policy.Dir)
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
	m, err := webhook.NewMetrics(metrics.Registry)
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	tlsOpts := []func(*tls.Config){http1Only}
	if o.clientCA != "" {
		verify, err := certs.ClientVerification(o.clientCA, o.clientCNs)
		if err != nil {
			return fmt.Errorf("--client-ca: %w", err)
		}
		tlsOpts = append(tlsOpts, verify)
	} else if len(o.clientCNs) > 0 {
		return errors.New("--client-cn needs --client-ca: the names are checked on certificates that CA signed")
	}
	srv := crwebhook.NewServer(crwebhook.Options{Port: o.webhookPort, CertDir: o.certDir,
		CertName: certs.CertName, KeyName: certs.KeyName, TLSOpts: tlsOpts})
	if err := webhook.Setup(ctx, mgr, srv, webhook.Options{Config: cfg, Engine: engine, Metrics: m, Log: log.WithName("admission"),
		Draining: draining, Pauser: protect.New(mgr, cfg, nil)}); err != nil {
		return err
	}
	certOpts := certs.Options{
		Mode: certs.Mode(o.certMode), CertDir: o.certDir,
		Namespace: cfg.Webhook.Namespace, Service: cfg.Webhook.ServiceName,
		SecretName: cfg.Webhook.ServiceName + "-cert", WebhookConfiguration: cfg.Webhook.ConfigurationName,
	}
	ready, mode, err := certs.Setup(ctx, mgr, certOpts)
	if err != nil {
		return err
	}
	log.Info("webhook certificate", logkeys.CertMode, mode, logkeys.Dir, o.certDir)
	if err := certs.RegisterExpiryMetric(metrics.Registry, o.certDir); err != nil {
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

// LeaderElectionID is the Lease the replicas elect a leader with, in driftgate's namespace.
const LeaderElectionID = "driftgate.driftgate.io"

// http1Only turns HTTP/2 off on the webhook server (CVE-2023-44487, rapid reset); the API server
// falls back to HTTP/1.1. The metrics server serves plain HTTP/1.1 without it.
func http1Only(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		c, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
		}
		return c, nil
	}
	c, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster to talk to: %w", err)
	}
	return c, nil
}
