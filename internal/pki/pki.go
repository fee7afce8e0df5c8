package main

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

// keyPair is a certificate and its ECDSA key.
type keyPair struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

func (k keyPair) certPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.der})
}

func (k keyPair) keyPEM() ([]byte, error) {
	return privateKeyPEM(k.key)
}

func privateKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// newCA makes a self-signed certificate authority.
func newCA(name string) (keyPair, error) {
	tmpl := baseTemplate(pkix.Name{CommonName: name})
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	return sign(tmpl, nil)
}

// issue signs a certificate made from tmpl with ca.
func (ca keyPair) issue(tmpl *x509.Certificate) (keyPair, error) {
	return sign(tmpl, &ca)
}

func sign(tmpl *x509.Certificate, ca *keyPair) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating a key: %w", err)
	}
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return keyPair{}, fmt.Errorf("signing certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, fmt.Errorf("parsing certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return keyPair{cert: cert, der: der, key: key}, nil
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

// servingTemplate is a TLS server certificate for localhost and 127.0.0.1, and extra names.
func servingTemplate(name string, dnsNames ...string) *x509.Certificate {
	t := baseTemplate(pkix.Name{CommonName: name})
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.DNSNames = append([]string{"localhost"}, dnsNames...)
	t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	return t
}

// clientTemplate is a client certificate kube-apiserver authenticates as user, in groups.
func clientTemplate(user string, groups ...string) *x509.Certificate {
	t := baseTemplate(pkix.Name{CommonName: user, Organization: groups})
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return t
}

// writeKeyPair writes dir/name.crt and dir/name.key.
func writeKeyPair(dir, name string, k keyPair) error {
	keyPEM, err := k.keyPEM()
	if err != nil {
		return err
	}
	return writeFiles(map[string][]byte{
		filepath.Join(dir, name+".crt"): k.certPEM(),
		filepath.Join(dir, name+".key"): keyPEM,
	})
}

func writeFiles(files map[string][]byte) error {
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
