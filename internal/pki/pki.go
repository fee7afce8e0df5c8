// Package pki makes the small certificate authorities the dev cluster and the tests need: a CA,
// serving and client certificates signed by it, written as PEM files.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is how long the dev cluster's certificates last.
const certValidity = 365 * 24 * time.Hour

// KeyPair is a certificate and its ECDSA key.
type KeyPair struct {
	Cert *x509.Certificate
	DER  []byte
	Key  *ecdsa.PrivateKey
}

// CertPEM is the certificate in PEM.
func (k KeyPair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.DER})
}

// KeyPEM is the key in PKCS#8 PEM.
func (k KeyPair) KeyPEM() ([]byte, error) {
	return PrivateKeyPEM(k.Key)
}

// PrivateKeyPEM encodes key in PKCS#8 PEM.
func PrivateKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// NewCA makes a self-signed certificate authority.
func NewCA(name string) (KeyPair, error) {
	tmpl := baseTemplate(pkix.Name{CommonName: name})
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	return sign(tmpl, nil)
}

// Issue signs a certificate made from tmpl with ca.
func (ca KeyPair) Issue(tmpl *x509.Certificate) (KeyPair, error) {
	return sign(tmpl, &ca)
}

func sign(tmpl *x509.Certificate, ca *KeyPair) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generating a key: %w", err)
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return KeyPair{}, fmt.Errorf("parsing certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return KeyPair{Cert: cert, DER: der, Key: key}, nil
}

func baseTemplate(subject pkix.Name) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
	}
}

// ServingTemplate is a TLS server certificate for localhost and 127.0.0.1, and extra names.
func ServingTemplate(name string, dnsNames ...string) *x509.Certificate {
	t := baseTemplate(pkix.Name{CommonName: name})
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.DNSNames = append([]string{"localhost"}, dnsNames...)
	t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	return t
}

// ClientTemplate is a client certificate kube-apiserver authenticates as user, in groups.
func ClientTemplate(user string, groups ...string) *x509.Certificate {
	t := baseTemplate(pkix.Name{CommonName: user, Organization: groups})
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return t
}

// WriteKeyPair writes dir/name.crt and dir/name.key.
func WriteKeyPair(dir, name string, k KeyPair) error {
	keyPEM, err := k.KeyPEM()
	if err != nil {
		return err
	}
	return WriteFiles(map[string][]byte{
		filepath.Join(dir, name+".crt"): k.CertPEM(),
		filepath.Join(dir, name+".key"): keyPEM,
	})
}

// WriteFiles writes each file, readable by its owner only.
func WriteFiles(files map[string][]byte) error {
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
