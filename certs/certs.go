package certs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Mode chooses where the serving certificate comes from.
type Mode string

const (
	// ModeAuto uses the files in the cert dir when both exist at start, else ModeSelf.
	ModeAuto Mode = "auto"
	// ModeSelf makes and rotates a certificate with driftgate's own CA.
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
func Setup(mgr manager.Manager, opts Options) (<-chan struct{}, Mode, error) {
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

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
