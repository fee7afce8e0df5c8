package certs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Mode chooses where the serving certificate comes from.
type Mode string

const (
	// ModeAuto uses the files in the cert dir when both exist at start, else ModeSelf.
	ModeAuto Mode = "auto"
	// ModeSelf makes and rotates a certificate with driftgate's own CA, kept in a Secret that must
	// be mounted at the cert dir (the kubelet writes the files; the chart mounts it).
	ModeSelf Mode = "self"
	// ModeProvided serves the files in the cert dir, reloading them when they change.
	ModeProvided Mode = "provided"
)

// File names in the cert dir, as cert-manager and the rotator write them.
const (
	CertName = "tls.crt"
	KeyName  = "tls.key"
)

// Options describes the webhook's certificate.
type Options struct {
	Mode    Mode
	CertDir string
	// Namespace and Service name the webhook's DNS name: <service>.<namespace>.svc.
	Namespace string
	Service   string
	// SecretName holds the CA and certificate in Namespace (self mode).
	SecretName string
	// WebhookConfiguration is the ValidatingWebhookConfiguration whose caBundle is kept in sync.
	WebhookConfiguration string
}

// Setup prepares the certificate and returns a channel closed once the files are in place; the
// webhook server must not start before. It resolves ModeAuto and returns the mode in effect.
func Setup(ctx context.Context, mgr manager.Manager, opts Options) (<-chan struct{}, Mode, error) {
	mode := opts.Mode
	if mode == ModeAuto {
		mode = ModeSelf
		if exists(filepath.Join(opts.CertDir, CertName)) && exists(filepath.Join(opts.CertDir, KeyName)) {
			mode = ModeProvided
		}
	}
	switch mode {
	case ModeProvided:
		ready := make(chan struct{})
		close(ready) // controller-runtime's certwatcher reloads the files on change
		return ready, mode, nil
	case ModeSelf:
		if err := ensureSecret(ctx, mgr, opts); err != nil {
			return nil, mode, err
		}
		ready := make(chan struct{})
		dns := opts.Service + "." + opts.Namespace + ".svc"
		err := rotator.AddRotator(mgr, &rotator.CertRotator{
			SecretKey:      types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName},
			CertDir:        opts.CertDir,
			CAName:         "driftgate-ca",
			CAOrganization: "driftgate",
			DNSName:        dns,
			ExtraDNSNames:  []string{opts.Service, opts.Service + "." + opts.Namespace, dns + ".cluster.local"},
			IsReady:        ready,
			Webhooks:       []rotator.WebhookInfo{{Name: opts.WebhookConfiguration, Type: rotator.Validating}},
			CertName:       CertName,
			KeyName:        KeyName,
		})
		if err != nil {
			return nil, mode, fmt.Errorf("setting up certificate rotation: %w", err)
		}
		return ready, mode, nil
	default:
		return nil, mode, fmt.Errorf("certificate mode %q: want auto, self or provided", opts.Mode)
	}
}

// ensureSecret creates the (empty) Secret the rotator keeps the CA in: the rotator fills a Secret
// but does not create one. The chart ships it too; this covers installs without the chart.
func ensureSecret(ctx context.Context, mgr manager.Manager, opts Options) error {
	c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme()})
	if err != nil {
		return fmt.Errorf("client for the certificate Secret: %w", err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: opts.Namespace, Name: opts.SecretName}}
	if err := c.Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the certificate Secret %s/%s: %w", opts.Namespace, opts.SecretName, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// CAName is the CA certificate's file and Secret key, as cert-manager and the rotator write it.
const CAName = "ca.crt"

// CABundle returns how to find the CA the API server must trust, for a webhook configuration
// driftgate creates: in self mode the rotator's Secret, read through reader; in provided mode the
// cert dir's ca.crt (cert-manager writes it). It returns nil, no error, when there is none yet:
// the rotator or cert-manager's CA injector fills it in then.
func CABundle(mode Mode, opts Options, reader client.Reader) func(context.Context) ([]byte, error) {
	if mode == ModeSelf {
		return func(ctx context.Context) ([]byte, error) {
			var s corev1.Secret
			err := reader.Get(ctx, types.NamespacedName{Namespace: opts.Namespace, Name: opts.SecretName}, &s)
			if apierrors.IsNotFound(err) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("reading the certificate Secret %s/%s: %w", opts.Namespace, opts.SecretName, err)
			}
			return s.Data[CAName], nil
		}
	}
	return func(context.Context) ([]byte, error) {
		path := filepath.Join(opts.CertDir, CAName)
		ca, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the CA %s: %w", path, err)
		}
		return ca, nil
	}
}
