package failure_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/pki"
	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// serveOptions are what a test varies about a `driftgate serve` process.
type serveOptions struct {
	// port is the webhook port; zero means registeredPort.
	port int
	// kubeconfig is how driftgate reaches the API server; empty means directly, as itself.
	kubeconfig string
	// certs is the serving certificate's directory; empty means a fresh one.
	certs *webhookCerts
	// leaderElect turns leader election on.
	leaderElect bool
	// shutdownDelay is --shutdown-delay; empty means 1s.
	shutdownDelay string
	// clientCA has driftgate answer only callers with the API server's client certificate.
	clientCA bool
}

// server is a running `driftgate serve`.
type server struct {
	proc  *supervise.Process
	port  int
	probe string
	certs *webhookCerts
}

// serve starts `driftgate serve` and waits until it is ready; the test's end kills it if it
// still runs and prints its log if the test failed.
func serve(t *testing.T, o serveOptions) *server {
	t.Helper()
	if o.port == 0 {
		o.port = registeredPort
	}
	if o.kubeconfig == "" {
		o.kubeconfig = cluster.ServiceAccountKubeconfig(t, testenv.Self, "")
	}
	if o.certs == nil {
		o.certs = newWebhookCerts(t)
	}
	if o.shutdownDelay == "" {
		o.shutdownDelay = "1s"
	}
	probePort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{port: o.port, probe: fmt.Sprintf("127.0.0.1:%d", probePort), certs: o.certs}
	args := []string{
		"serve",
		"--config=" + writeConfig(t),
		"--kubeconfig=" + o.kubeconfig,
		"--cert-mode=provided", "--cert-dir=" + o.certs.dir,
		"--webhook-port=" + strconv.Itoa(o.port),
		"--metrics-bind-address=0",
		"--health-probe-bind-address=" + s.probe,
		"--leader-elect=" + strconv.FormatBool(o.leaderElect),
		"--shutdown-delay=" + o.shutdownDelay,
		"--enable-audit=false"}
	if o.clientCA {
		args = append(args, "--client-ca="+cluster.WebhookClientCA, "--client-cn="+testenv.WebhookClientCN)
	}
	s.proc, err = supervise.Start(supervise.Spec{Name: "driftgate serve", Path: cluster.CLIPath(t), Log: filepath.Join(t.TempDir(), "serve.log"), Args: args})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			raw, _ := os.ReadFile(s.proc.Log)
			t.Logf("driftgate serve on port %d logged:\n%s", s.port, raw)
		}
	})
	if err := s.proc.WaitReady(context.Background(), 30*time.Second, s.ready); err != nil {
		t.Fatal(err)
	}
	if o.port == registeredPort {
		waitCalled(t, s)
	}
	return s
}

// waitCalled waits until driftgate has registered itself with its CA and the API server calls
// it: a GitOps write to an owned object goes through.
func waitCalled(t *testing.T, s *server) {
	t.Helper()
	admin := cluster.AdminActor(t)
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	testutil.WaitFor(t, "driftgate registering itself with its CA", func() bool {
		err := admin.Client.Get(context.Background(), client.ObjectKey{Name: cluster.Config.Webhook.ConfigurationName}, vwc)
		return err == nil && len(vwc.Webhooks) > 0 && bytes.Equal(vwc.Webhooks[0].ClientConfig.CABundle, s.certs.ca.CertPEM())
	})
	flux := cluster.ServiceAccount(t, testenv.Flux)
	probe := configMap("default", "probe", fluxLabel(), "x")
	var last error
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last answer while waiting: %v", last)
		}
	})
	testutil.WaitFor(t, "the API server calling driftgate", func() bool {
		last = flux.Client.Create(context.Background(), probe.DeepCopy(), client.DryRunAll)
		return last == nil
	})
}

// ready reports whether /readyz answers 200.
func (s *server) ready(ctx context.Context) bool {
	return supervise.AnswersOK(http.DefaultClient, "http://"+s.probe+"/readyz")(ctx)
}

// dial opens a TLS connection to the webhook server, offering nextProtos.
func (s *server) dial(nextProtos ...string) (*tls.Conn, error) {
	return tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), s.certs.clientTLS(nextProtos...))
}

// running reports whether the process has not exited.
func (s *server) running() bool { return !s.proc.Exited() }

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.proc.Wait(); err != nil {
		t.Fatalf("driftgate serve did not exit cleanly on SIGTERM: %v", err)
	}
}

// kill stops the process at once, as a crash or an evicted node would.
func (s *server) kill() {
	_ = s.proc.Signal(syscall.SIGKILL)
	_ = s.proc.Wait()
}

// writeConfig writes the cluster's driftgate.yaml for serve.
func writeConfig(t *testing.T) string {
	t.Helper()
	cfg := *cluster.Config
	cfg.APIVersion, cfg.Kind = "driftgate.io/v1alpha1", "Config"
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "driftgate.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// webhookCerts is a serving certificate's directory (tls.crt, tls.key, ca.crt) and its CA.
type webhookCerts struct {
	dir string
	ca  pki.KeyPair
}

func newWebhookCerts(t *testing.T) *webhookCerts {
	t.Helper()
	ca, err := pki.NewCA("driftgate-test-webhook-ca")
	if err != nil {
		t.Fatal(err)
	}
	w := &webhookCerts{dir: t.TempDir(), ca: ca}
	w.renew(t)
	if err := pki.WriteFiles(map[string][]byte{filepath.Join(w.dir, certs.CAName): ca.CertPEM()}); err != nil {
		t.Fatal(err)
	}
	return w
}

// clientTLS trusts the CA, as the API server does with the registration's caBundle.
func (w *webhookCerts) clientTLS(nextProtos ...string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(w.ca.Cert)
	return &tls.Config{RootCAs: pool, NextProtos: nextProtos, MinVersion: tls.VersionTLS12}
}

// renew issues a new serving certificate from the same CA and swaps it in as cert-manager
// and the kubelet do: written aside, then renamed over the served files. It returns it.
func (w *webhookCerts) renew(t *testing.T) pki.KeyPair {
	t.Helper()
	leaf, err := w.ca.Issue(pki.ServingTemplate("driftgate-webhook"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := leaf.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{certs.KeyName: key, certs.CertName: leaf.CertPEM()} {
		tmp := filepath.Join(w.dir, "."+name+".new")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(w.dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return leaf
}
