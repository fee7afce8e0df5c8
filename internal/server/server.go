// Package server wires driftgate as `driftgate serve` runs it: one controller-runtime manager
// with the admission webhook (its server TLS-only and HTTP/1-only, the handler, edit records,
// the certificate, the Registrar), the break-glass grant controller and the self-heal
// protection, and the audit loop, plus the shutdown that fails readiness first. The envtest
// suites start driftgate through Setup too, so they cannot wire it differently from serve; they
// choose only the inputs (Options).
package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	crconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/protect"
)

// Options are driftgate's inputs: what `driftgate serve` reads from its flags and
// driftgate.yaml, and what the tests choose.
type Options struct {
	// Config is driftgate.yaml.
	Config *config.Config
	// RestConfig reaches the API server as driftgate.
	RestConfig *rest.Config
	// Log is driftgate's logger; each part logs under its own name.
	Log logr.Logger
	// Metrics is where driftgate's own metrics are registered: serve passes controller-runtime's
	// metrics.Registry, which the manager's metrics server serves; a process that sets
	// driftgate up more than once (the tests) passes a registry per setup.
	Metrics prometheus.Registerer

	// Webhook, Grants and Audit choose the parts that run (serve's --enable-* flags); at least
	// one. Grants runs the grant controller and the self-heal protection, Grants and Audit on
	// the leader only.
	Webhook, Grants, Audit bool

	// MetricsAddr and ProbeAddr are the metrics and health probe addresses; "0" disables.
	MetricsAddr, ProbeAddr string
	// LeaderElect elects a leader among replicas for the leader-only parts.
	LeaderElect bool
	// SkipControllerNameValidation lets a process set driftgate up again after stopping it
	// (the tests): controller names are checked for uniqueness per process otherwise.
	SkipControllerNameValidation bool

	// WebhookHost and WebhookPort are the webhook server's address; an empty host listens on
	// every interface.
	WebhookHost string
	WebhookPort int
	// CertDir holds the serving certificate (certs.CertName, certs.KeyName) and CertMode says
	// where it comes from.
	CertDir  string
	CertMode certs.Mode
	// ClientCA, when set, is a PEM CA bundle: the webhook then answers only callers with a
	// client certificate it signed, whose common name is one of ClientCNs (any when empty).
	ClientCA  string
	ClientCNs []string

	// ShutdownDelay is how long readiness fails, with everything still running, once the
	// context Start runs with is done.
	ShutdownDelay time.Duration
}

// Driftgate is driftgate set up, not yet started.
type Driftgate struct {
	// Manager runs every part; its cache is the webhook's (grants, namespaces).
	Manager manager.Manager
	drain   *drain
}

// LeaderElectionID is the Lease the replicas elect a leader with, in driftgate's namespace.
const LeaderElectionID = "driftgate.driftgate.io"

// Check reports choices that cannot work together, before anything is loaded or connected;
// Setup checks them too.
func (o *Options) Check() error {
	if !o.Webhook && !o.Grants && !o.Audit {
		return errors.New("nothing to run: enable the webhook (--enable-webhook), the grant controller (--enable-grants) or the audit (--enable-audit)")
	}
	if o.Webhook && o.ClientCA == "" && len(o.ClientCNs) > 0 {
		return errors.New("--client-cn needs --client-ca: the names are checked on certificates that CA signed")
	}
	return nil
}

// Setup builds the manager and adds to it the parts o enables.
func Setup(ctx context.Context, o Options) (*Driftgate, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	cfg := o.Config
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	mo := manager.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: cfg.Webhook.Namespace,
		// The process exits once the manager stops, so the lease can be handed over at once.
		LeaderElectionReleaseOnCancel: true,
	}
	if o.SkipControllerNameValidation {
		mo.Controller = crconfig.Controller{SkipNameValidation: ptr.To(true)}
	}
	mgr, err := ctrl.NewManager(o.RestConfig, mo)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	d := &drain{delay: o.ShutdownDelay, log: o.Log}
	if err := mgr.AddReadyzCheck("shutdown", d.ready); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	if o.Webhook {
		if err := setupWebhook(ctx, mgr, o, d.draining); err != nil {
			return nil, err
		}
	}
	if o.Grants {
		if err := setupGrants(mgr, o); err != nil {
			return nil, err
		}
	}
	if o.Audit {
		if err := setupAudit(mgr, o); err != nil {
			return nil, err
		}
	}
	return &Driftgate{Manager: mgr, drain: d}, nil
}

// Start runs driftgate until ctx is done and the shutdown delay has passed, and the manager has
// stopped.
func (d *Driftgate) Start(ctx context.Context) error {
	return d.Manager.Start(d.drain.run(ctx))
}

// setupGrants adds the grant controller and the self-heal protection beside it (leader only).
func setupGrants(mgr manager.Manager, o Options) error {
	c := &breakglass.Controller{Client: mgr.GetClient(), Config: o.Config.BreakGlass, Clock: clock.RealClock{},
		Events: mgr.GetEventRecorder("driftgate-breakglass")}
	if err := c.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the grant controller: %w", err)
	}
	pm, err := protect.NewMetrics(o.Metrics)
	if err != nil {
		return fmt.Errorf("registering the self-heal protection metrics: %w", err)
	}
	p := protect.New(mgr, o.Config, pm)
	if err := p.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the self-heal protection: %w", err)
	}
	return nil
}

// setupAudit adds the audit loop (leader only): GitSources fetched on their interval, live
// objects watched, break-glass edits resolved.
func setupAudit(mgr manager.Manager, o Options) error {
	m, err := loop.NewMetrics(o.Metrics)
	if err != nil {
		return fmt.Errorf("registering the audit metrics: %w", err)
	}
	if _, err := loop.Setup(mgr, loop.Options{Config: o.Config, Metrics: m, Log: o.Log.WithName("audit")}); err != nil {
		return err
	}
	return nil
}
