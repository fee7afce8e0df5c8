package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/internal/server"
)

type serveOptions struct {
	configPath, kubeconfig, certDir, certMode string
	clientCA                                  string
	clientCNs                                 []string
	metricsAddr, probeAddr                    string
	webhookPort                               int
	kubeAPIQPS                                float32
	kubeAPIBurst                              int
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
			if o.kubeAPIQPS <= 0 || o.kubeAPIBurst <= 0 {
				return fmt.Errorf("--kube-api-qps and --kube-api-burst must be positive, got %v and %d", o.kubeAPIQPS, o.kubeAPIBurst)
			}
			return runServe(ctrl.SetupSignalHandler(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.configPath, "config", "", "driftgate.yaml (default: built-in defaults)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config)")
	f.Float32Var(&o.kubeAPIQPS, "kube-api-qps", 50, "requests per second to the API server, per client and kind (client-go's limit; Flux's controllers default to the same)")
	f.IntVar(&o.kubeAPIBurst, "kube-api-burst", 300, "requests to the API server allowed in a burst above --kube-api-qps")
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
	so := server.Options{
		Webhook: o.enableWebhook, Grants: o.enableGrants, Audit: o.enableAudit,
		MetricsAddr: o.metricsAddr, ProbeAddr: o.probeAddr, LeaderElect: o.leaderElect,
		WebhookPort: o.webhookPort, CertDir: o.certDir, CertMode: certs.Mode(o.certMode),
		ClientCA: o.clientCA, ClientCNs: o.clientCNs,
		ShutdownDelay: o.shutdownDelay,
		Metrics:       metrics.Registry,
	}
	if err := so.Check(); err != nil {
		return err
	}

	var err error
	if so.Config, err = config.Load(o.configPath); err != nil {
		return err
	}
	if so.Log, err = o.log.logger(); err != nil {
		return err
	}
	ctrl.SetLogger(so.Log)
	if so.RestConfig, err = restConfig(o.kubeconfig); err != nil {
		return err
	}
	// Without these, client-go allows 5 requests/s per client and kind: a record of each
	// break-glass write and the protector's patches of it would queue behind each other at
	// 20 writes/s and miss the answer's deadline (denied, as a write that cannot be recorded).
	so.RestConfig.QPS, so.RestConfig.Burst = o.kubeAPIQPS, o.kubeAPIBurst
	dg, err := server.Setup(ctx, so)
	if err != nil {
		return err
	}
	so.Log.Info("starting driftgate", logkeys.Version, version, logkeys.Mode, so.Config.Mode)
	return dg.Start(ctx)
}

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
