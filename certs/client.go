package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// ClientVerification makes the webhook server accept only callers with a client certificate
// signed by a CA in caFile and, when names is not empty, with one of those common names: the API
// server, configured (AdmissionConfiguration, docs/operations.md) to present its certificate to
// driftgate's webhook. Anything else that reaches the port, a forged review included, fails the
// TLS handshake. caFile is read once, at start.
func ClientVerification(caFile string, names []string) (func(*tls.Config), error) {
	raw, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("the client CA %s holds no PEM certificate", caFile)
	}
	return func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = pool
		if len(names) == 0 {
			return
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no client certificate")
			}
			if cn := cs.PeerCertificates[0].Subject.CommonName; !slices.Contains(names, cn) {
				return fmt.Errorf("client certificate for %q, want one of %s", cn, strings.Join(names, ", "))
			}
			return nil
		}
	}, nil
}
