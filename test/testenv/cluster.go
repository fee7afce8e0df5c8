package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/server"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/webhook"
)

// Options shape one test package's cluster.
type Options struct {
	// Config is driftgate's configuration; nil means the defaults.
	Config *config.Config
	// ClusterRoles and ClusterRoleBindings are created before driftgate starts (people's RBAC).
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	// GrantController also runs the break-glass grant controller.
	GrantController bool
	// Audit also runs the audit loop.
	Audit bool
	// CLI builds the driftgate binary for RunCLI.
	CLI bool
	// External leaves driftgate out: the tests run `driftgate serve` themselves (Serve), which
	// registers its own webhook (Config.Webhook.URL must be set).
	External bool
	// WebhookClientCert has the API server present a client certificate to webhooks
	// (Cluster.WebhookClientCA signed it), for `driftgate serve --client-ca`.
	WebhookClientCert bool
}

// Cluster is a running control plane with driftgate in it.
type Cluster struct {
	Admin  *rest.Config
	Scheme *apiruntime.Scheme
	// Config is driftgate's configuration: Options.Config or the defaults, with webhook.url at
	// the local webhook server unless Options.External.
	Config   *config.Config
	AuditLog string
	// WebhookClientCA is the PEM file of the CA of the API server's webhook client certificate
	// (Options.WebhookClientCert).
	WebhookClientCA string

	env      *envtest.Environment
	webhooks *envtest.WebhookInstallOptions
	tokens   map[string]string
	dir      string
	audit    *AuditLoop
	cli      string
	// Driftgate is the running webhook (and its cache).
	Driftgate *Driftgate
	grants    *GrantController
}

// Start starts the control plane, creates the identities, starts driftgate and registers its
// webhook. Stop undoes it.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
	}
	// controller-runtime's clients and managers log through its process-wide logger; a test
	// process sets it once, as a kubebuilder suite does, else each complains on stderr that it
	// was never set. driftgate's own components get theirs explicitly.
	crlog.SetLogger(zapr.NewLogger(zap.NewNop()))
	c := &Cluster{Config: o.Config, tokens: map[string]string{}}
	if c.Config == nil {
		c.Config = config.Default()
	}
	var err error
	if c.Scheme, err = server.NewScheme(); err != nil {
		return nil, err
	}
	if err := c.startControlPlane(o); err != nil {
		return nil, err
	}
	if err := c.setup(ctx, o); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) setup(ctx context.Context, o Options) error {
	if err := c.createIdentities(ctx, o); err != nil {
		return fmt.Errorf("creating identities: %w", err)
	}
	if o.External {
		return nil
	}
	if err := c.prepareWebhook(); err != nil {
		return err
	}
	var err error
	if c.Driftgate, err = c.startDriftgate(ctx); err != nil {
		return fmt.Errorf("starting driftgate: %w", err)
	}
	if err := waitForTLS(c.webhooks); err != nil {
		return err
	}
	if err := c.waitForRegistration(ctx); err != nil {
		return err
	}
	if o.GrantController {
		if err := c.StartGrantController(ctx); err != nil {
			return err
		}
	}
	if o.Audit {
		return c.StartAudit(ctx)
	}
	return nil
}

// prepareWebhook has envtest pick the webhook's local address and make its serving certificate,
// and points driftgate's configuration at that address (webhook.url), so that driftgate's
// Registrar registers the webhook there, as `driftgate serve` registers its own; the CA goes
// beside the certificate as ca.crt, where the Registrar finds a provided certificate's CA.
func (c *Cluster) prepareWebhook() error {
	c.webhooks = &envtest.WebhookInstallOptions{}
	if err := c.webhooks.PrepWithoutInstalling(); err != nil {
		return fmt.Errorf("preparing the webhook certificate: %w", err)
	}
	cfg := *c.Config
	cfg.Webhook.URL = "https://" + net.JoinHostPort(c.webhooks.LocalServingHost, strconv.Itoa(c.webhooks.LocalServingPort)) + webhook.Path
	c.Config = &cfg
	ca := filepath.Join(c.webhooks.LocalServingCertDir, certs.CAName)
	if err := os.WriteFile(ca, c.webhooks.LocalServingCAData, 0o600); err != nil {
		return fmt.Errorf("writing the webhook's CA: %w", err)
	}
	return nil
}

// waitForRegistration waits until driftgate's Registrar has registered the webhook as
// webhook.Configuration makes it.
func (c *Cluster) waitForRegistration(ctx context.Context) error {
	cl, err := client.New(c.Admin, client.Options{Scheme: c.Scheme})
	if err != nil {
		return err
	}
	want := webhook.Configuration(c.Config, c.webhooks.LocalServingCAData)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got admissionregistrationv1.ValidatingWebhookConfiguration
		err := cl.Get(ctx, client.ObjectKey{Name: want.Name}, &got)
		if err == nil && equality.Semantic.DeepEqual(got.Webhooks, want.Webhooks) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("driftgate never registered its webhook %s (last read: %v)", want.Name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) startControlPlane(o Options) error {
	var err error
	if c.dir, err = os.MkdirTemp("", "driftgate-envtest-"); err != nil {
		return err
	}
	c.AuditLog = filepath.Join(c.dir, "audit.log")
	policy := filepath.Join(c.dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"), 0o600); err != nil {
		return err
	}
	c.env = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(repoRoot(), "charts", "driftgate", "crds")},
		ErrorIfCRDPathMissing: true,
	}
	c.env.ControlPlane.GetAPIServer().Configure().
		Set("audit-policy-file", policy).
		Set("audit-log-path", c.AuditLog).
		Set("audit-log-mode", "blocking")
	if o.WebhookClientCert {
		admission, err := c.webhookClientCert()
		if err != nil {
			return fmt.Errorf("the API server's webhook client certificate: %w", err)
		}
		c.env.ControlPlane.GetAPIServer().Configure().Set("admission-control-config-file", admission)
	}
	if c.Admin, err = c.env.Start(); err != nil {
		return fmt.Errorf("starting envtest: %w", err)
	}
	return c.warmRecords()
}

// warmRecords writes and deletes one edit record before driftgate starts: the first custom
// resource written within a second or two of its CRD's creation can take two seconds on a
// fresh API server, which a break-glass write's record, bounded by the webhook's timeout, must
// not pay in the tests (a cluster's CRDs are not that new).
func (c *Cluster) warmRecords() error {
	cl, err := client.New(c.Admin, client.Options{Scheme: c.Scheme})
	if err != nil {
		return err
	}
	e := &v1alpha1.BreakGlassEdit{ObjectMeta: metav1.ObjectMeta{Name: "testenv-warm-up"}, Spec: v1alpha1.BreakGlassEditSpec{
		User: "testenv", Time: metav1.Now(), Operation: "UPDATE", RequestUID: "warm-up",
		Object: v1alpha1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Resource: "configmaps", Name: "warm-up"}}}
	if err := cl.Create(context.Background(), e); err != nil {
		return fmt.Errorf("warming up the edit records: %w", err)
	}
	return cl.Delete(context.Background(), e)
}

// Stop stops driftgate and the control plane.
func (c *Cluster) Stop() {
	c.StopAudit()
	c.StopGrantController()
	if c.Driftgate != nil {
		c.Driftgate.stop()
	}
	if c.webhooks != nil {
		_ = c.webhooks.Cleanup()
	}
	if c.env != nil {
		_ = c.env.Stop()
	}
	_ = os.RemoveAll(c.dir)
}

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func waitForTLS(wio *envtest.WebhookInstallOptions) error {
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

// Run is a test package's TestMain body: it starts the cluster, hands it to use, runs the tests
// and stops the cluster. It returns the exit code.
func Run(m *testing.M, o Options, use func(*Cluster)) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cli, cleanup, err := buildCLI(o.CLI)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the driftgate CLI: %v\n", err)
		return 1
	}
	c, err := Start(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Stop()
	c.cli = cli
	use(c)
	return m.Run()
}

// buildCLI builds the driftgate binary into a temporary directory when wanted.
func buildCLI(want bool) (bin string, cleanup func(), err error) {
	cleanup = func() {}
	if !want {
		return "", cleanup, nil
	}
	dir, err := os.MkdirTemp("", "driftgate-cli-")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	bin, err = testutil.BuildDriftgate(dir)
	return bin, cleanup, err
}
