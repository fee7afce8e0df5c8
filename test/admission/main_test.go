package admission_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

// cluster is the real control plane every test in this package uses: kube-apiserver and etcd
// from envtest, RBAC on, calling driftgate's webhook over TLS.
var cluster struct {
	admin    *rest.Config
	scheme   *runtime.Scheme
	mgr      manager.Manager
	auditLog string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default()

	dir, err := os.MkdirTemp("", "driftgate-audit-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cluster.auditLog = filepath.Join(dir, "audit.log")
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "charts", "driftgate", "crds")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			ValidatingWebhooks: []*admissionregistrationv1.ValidatingWebhookConfiguration{webhook.Configuration(cfg, nil)},
		},
	}
	env.ControlPlane.GetAPIServer().Configure().
		Set("audit-policy-file", policy).
		Set("audit-log-path", cluster.auditLog).
		Set("audit-log-mode", "blocking")
	admin, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	cluster.admin = admin

	if err := startDriftgate(ctx, admin, cfg, &env.WebhookInstallOptions); err != nil {
		fmt.Fprintf(os.Stderr, "starting driftgate: %v\n", err)
		return 1
	}
	if err := setupIdentities(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "creating identities: %v\n", err)
		return 1
	}
	return m.Run()
}

func startDriftgate(ctx context.Context, admin *rest.Config, cfg *config.Config, wio *envtest.WebhookInstallOptions) error {
	cluster.scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(cluster.scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(cluster.scheme); err != nil {
		return err
	}
	mgr, err := manager.New(admin, manager.Options{
		Scheme:                 cluster.scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return err
	}
	engine, err := policies.NewEngine(ctx, policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		return err
	}
	srv := crwebhook.NewServer(crwebhook.Options{
		Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
	})
	if err := webhook.Setup(ctx, mgr, srv, cfg, engine, nil, logr.Discard()); err != nil {
		return err
	}
	if err := mgr.Add(srv); err != nil {
		return err
	}
	cluster.mgr = mgr
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "manager stopped: %v\n", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("cache did not sync")
	}
	addr := net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort))
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // readiness probe only
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webhook server at %s never accepted TLS: %w", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
