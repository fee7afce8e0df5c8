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
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/server"
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

// startDriftgate runs the webhook as driftgate's own service account, set up as `driftgate
// serve` sets it up (server.Setup), with the serving certificate and address envtest prepared.
func (c *Cluster) startDriftgate(ctx context.Context) (*Driftgate, error) {
	wio := c.webhooks
	reg := prometheus.NewRegistry()
	dg, err := c.setupDriftgate(ctx, server.Options{Config: c.Config, Metrics: reg, Webhook: true,
		WebhookHost: wio.LocalServingHost, WebhookPort: wio.LocalServingPort,
		CertDir: wio.LocalServingCertDir, CertMode: certs.ModeProvided})
	if err != nil {
		return nil, err
	}
	d := &Driftgate{Cache: dg.Manager.GetCache(), Metrics: reg}
	if err := run(ctx, dg, &d.cancel, &d.done); err != nil {
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
	reg := prometheus.NewRegistry()
	dg, err := c.setupDriftgate(ctx, server.Options{Config: c.Config, Metrics: reg, Grants: true})
	if err != nil {
		return err
	}
	g := &GrantController{Metrics: reg}
	if err := run(ctx, dg, &g.cancel, &g.done); err != nil {
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

// setupDriftgate sets up the parts o enables with server.Setup, as driftgate's service account,
// without metrics or probe servers, a shutdown delay or logs. Each part runs in a manager of
// its own, so that the tests can stop one and start it again: controller names are then seen
// twice in the process.
func (c *Cluster) setupDriftgate(ctx context.Context, o server.Options) (*server.Driftgate, error) {
	cfg, err := c.ServiceAccountConfig(Self)
	if err != nil {
		return nil, err
	}
	o.RestConfig, o.Log = cfg, logr.Discard()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.SkipControllerNameValidation = true
	return server.Setup(ctx, o)
}

// run starts dg until cancel is called, and waits for its cache.
func run(ctx context.Context, dg *server.Driftgate, cancel *context.CancelFunc, done *chan struct{}) error {
	ctx, *cancel = context.WithCancel(ctx)
	*done = make(chan struct{})
	go func() {
		defer close(*done)
		if err := dg.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "driftgate manager stopped: %v\n", err)
		}
	}()
	if !dg.Manager.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("driftgate's cache did not sync")
	}
	return nil
}

// PostReview sends an AdmissionReview body straight to driftgate's webhook server over TLS,
// as any client that reaches its port can (a forged review: the API server did not send it).
func (c *Cluster) PostReview(body []byte) (*http.Response, error) {
	tc, err := c.WebhookTLSConfig()
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
	return hc.Post(c.Config.Webhook.URL, "application/json", bytes.NewReader(body))
}

// WebhookAddr is the host:port driftgate's webhook server listens on.
func (c *Cluster) WebhookAddr() string {
	return net.JoinHostPort(c.webhooks.LocalServingHost, strconv.Itoa(c.webhooks.LocalServingPort))
}

// WebhookTLSConfig is a client's TLS configuration that trusts driftgate's webhook server.
func (c *Cluster) WebhookTLSConfig() (*tls.Config, error) {
	if c.webhooks == nil {
		return nil, errors.New("driftgate runs outside this cluster (Options.External)")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.webhooks.LocalServingCAData)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
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
