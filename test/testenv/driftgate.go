package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	crconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/webhook"
)

// Driftgate is a running driftgate webhook.
type Driftgate struct {
	// Cache is the webhook's informer cache (grants, namespaces).
	Cache cache.Cache
	// Metrics is the registry of its admission metrics (driftgate_admission_decisions_total).
	Metrics *prometheus.Registry
	cancel  context.CancelFunc
	done    chan struct{}
}

func (d *Driftgate) stop() {
	d.cancel()
	<-d.done
}

// startDriftgate runs the webhook as driftgate's own service account, as `driftgate serve` would.
func (c *Cluster) startDriftgate(ctx context.Context) (*Driftgate, error) {
	mgr, err := c.newManager()
	if err != nil {
		return nil, err
	}
	engine, err := policies.NewEngine(ctx, policies.Data(c.Config), c.Config.EvaluationTimeout(), nil)
	if err != nil {
		return nil, err
	}
	wio := c.webhooks
	srv := crwebhook.NewServer(crwebhook.Options{Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir})
	reg := prometheus.NewRegistry()
	m, err := webhook.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	if err := webhook.Setup(ctx, mgr, srv, webhook.Options{Config: c.Config, Engine: engine, Metrics: m, Log: logr.Discard(),
		Pauser: protect.New(mgr, c.Config, nil)}); err != nil {
		return nil, err
	}
	if err := mgr.Add(srv); err != nil {
		return nil, err
	}
	d := &Driftgate{Cache: mgr.GetCache(), Metrics: reg}
	if err := run(ctx, mgr, &d.cancel, &d.done); err != nil {
		return nil, err
	}
	return d, nil
}

// GrantController is a running break-glass grant controller.
type GrantController struct {
	// Metrics is the registry of the self-heal protection's metrics.
	Metrics *prometheus.Registry
	cancel  context.CancelFunc
	done    chan struct{}
}

// StartGrantController runs the grant controller, and the self-heal protection beside it as
// serve does, as driftgate's service account.
func (c *Cluster) StartGrantController(ctx context.Context) error {
	if c.grants != nil {
		return nil
	}
	mgr, err := c.newManager()
	if err != nil {
		return err
	}
	ctl := &breakglass.Controller{Client: mgr.GetClient(), Config: c.Config.BreakGlass, Clock: clock.RealClock{},
		Events: mgr.GetEventRecorder("driftgate-breakglass")}
	if err := ctl.SetupWithManager(mgr); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	pm, err := protect.NewMetrics(reg)
	if err != nil {
		return err
	}
	p := protect.New(mgr, c.Config, pm)
	if err := p.SetupWithManager(mgr); err != nil {
		return err
	}
	g := &GrantController{Metrics: reg}
	if err := run(ctx, mgr, &g.cancel, &g.done); err != nil {
		return err
	}
	c.grants = g
	return nil
}

// StopGrantController stops the grant controller and waits until it has stopped.
func (c *Cluster) StopGrantController() {
	if c.grants == nil {
		return
	}
	c.grants.cancel()
	<-c.grants.done
	c.grants = nil
}

func (c *Cluster) newManager() (manager.Manager, error) {
	cfg, err := c.ServiceAccountConfig(Self)
	if err != nil {
		return nil, err
	}
	return manager.New(cfg, manager.Options{
		Scheme:                 c.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// Tests stop and start the grant controller; each start registers its name again.
		Controller: crconfig.Controller{SkipNameValidation: ptr.To(true)},
	})
}

// run starts mgr until cancel is called, and waits for its cache.
func run(ctx context.Context, mgr manager.Manager, cancel *context.CancelFunc, done *chan struct{}) error {
	ctx, *cancel = context.WithCancel(ctx)
	*done = make(chan struct{})
	go func() {
		defer close(*done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "driftgate manager stopped: %v\n", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("driftgate's cache did not sync")
	}
	return nil
}

// PostReview sends an AdmissionReview body straight to driftgate's webhook server over TLS,
// as any client that reaches its port can (a forged review: the API server did not send it).
func (c *Cluster) PostReview(body []byte) (*http.Response, error) {
	if c.webhooks == nil {
		return nil, errors.New("driftgate runs outside this cluster (Options.External)")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.webhooks.LocalServingCAData)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	url := fmt.Sprintf("https://%s%s", net.JoinHostPort(c.webhooks.LocalServingHost, strconv.Itoa(c.webhooks.LocalServingPort)), webhook.Path)
	return hc.Post(url, "application/json", bytes.NewReader(body))
}

// Grants is the running grant controller, nil when it is stopped.
func (c *Cluster) Grants() *GrantController { return c.grants }

// StopDriftgate stops the webhook; its registration stays, so the API server's calls fail (the
// webhook's failurePolicy decides). StartDriftgate starts it again on the same address.
func (c *Cluster) StopDriftgate() {
	if c.Driftgate != nil {
		c.Driftgate.stop()
		c.Driftgate = nil
	}
}

// StartDriftgate starts the webhook StopDriftgate stopped and waits until it serves.
func (c *Cluster) StartDriftgate(ctx context.Context) error {
	if c.Driftgate != nil {
		return nil
	}
	d, err := c.startDriftgate(ctx)
	if err != nil {
		return err
	}
	c.Driftgate = d
	return waitForTLS(c.webhooks)
}
