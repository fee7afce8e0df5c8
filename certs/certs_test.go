package certs_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/testutil"
)

var admin *rest.Config

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
		os.Exit(1)
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting envtest: %v\n", err)
		os.Exit(1)
	}
	admin = cfg
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

func newClient(t *testing.T, scheme *runtime.Scheme) client.Client {
	t.Helper()
	c, err := client.New(admin, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSelfManagedCertificate runs the rotator against a real API server: it must store a CA in
// the Secret, write a serving certificate for the Service's DNS name, and inject the CA into the
// webhook configuration.
func TestSelfManagedCertificate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scheme := clientgoscheme.Scheme
	c := newClient(t, scheme)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "driftgate-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ns.Name},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.driftgate.io",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: ns.Name, Name: "driftgate-webhook"}},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{"example.invalid"}, APIVersions: []string{"v1"}, Resources: []string{"nothing"}}}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if err := c.Create(ctx, vwc); err != nil {
		t.Fatal(err)
	}
	mgr, err := manager.New(admin, manager.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ready, mode, err := certs.Setup(context.Background(), mgr, certs.Options{
		Mode: certs.ModeAuto, CertDir: dir, Namespace: ns.Name, Service: "driftgate-webhook",
		SecretName: "driftgate-webhook-cert", WebhookConfiguration: vwc.Name,
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode != certs.ModeSelf {
		t.Fatalf("mode = %s for an empty cert dir, want self", mode)
	}
	go func() { _ = mgr.Start(ctx) }()
	go kubelet(ctx, c, client.ObjectKey{Namespace: ns.Name, Name: "driftgate-webhook-cert"}, dir)
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the certificate never became ready")
	}

	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certs.CertName), filepath.Join(dir, certs.KeyName))
	if err != nil {
		t.Fatalf("serving certificate files: %v", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	var caBundle []byte
	testutil.WaitFor(t, "the CA bundle injected into the webhook configuration", func() bool {
		var got admissionregistrationv1.ValidatingWebhookConfiguration
		if err := c.Get(ctx, client.ObjectKeyFromObject(vwc), &got); err != nil {
			return false
		}
		caBundle = got.Webhooks[0].ClientConfig.CABundle
		return len(caBundle) > 0
	})
	var secret corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "driftgate-webhook-cert"}, &secret); err != nil {
		t.Fatalf("the CA Secret: %v", err)
	}
	if !bytes.Equal(secret.Data["ca.crt"], caBundle) {
		t.Error("the injected CA bundle is not the CA kept in the Secret")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caBundle) {
		t.Fatal("the CA bundle holds no certificate")
	}
	dns := "driftgate-webhook." + ns.Name + ".svc"
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: dns}); err != nil {
		t.Errorf("the serving certificate does not verify for %s against the injected CA: %v", dns, err)
	}
}

func TestProvidedCertificateIsUsedAsIs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{certs.CertName, certs.KeyName} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("from cert-manager"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mgr, err := manager.New(admin, manager.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	ready, mode, err := certs.Setup(context.Background(), mgr, certs.Options{Mode: certs.ModeAuto, CertDir: dir, Namespace: "x", Service: "y", SecretName: "z", WebhookConfiguration: "w"})
	if err != nil {
		t.Fatal(err)
	}
	if mode != certs.ModeProvided {
		t.Fatalf("mode = %s with tls.crt and tls.key present, want provided", mode)
	}
	select {
	case <-ready:
	default:
		t.Fatal("a provided certificate is not ready at once")
	}
}

func TestUnknownMode(t *testing.T) {
	mgr, err := manager.New(admin, manager.Options{Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := certs.Setup(context.Background(), mgr, certs.Options{Mode: "magic"}); err == nil {
		t.Fatal("an unknown certificate mode was accepted")
	}
}

// kubelet does what the kubelet does for a Secret volume: it writes the Secret's keys as files
// into dir once they are there.
func kubelet(ctx context.Context, c client.Client, key client.ObjectKey, dir string) {
	for ctx.Err() == nil {
		var s corev1.Secret
		if err := c.Get(ctx, key, &s); err == nil && len(s.Data[certs.CertName]) > 0 {
			for name, data := range s.Data {
				_ = os.WriteFile(filepath.Join(dir, name), data, 0o600)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
