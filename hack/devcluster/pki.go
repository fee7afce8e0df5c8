package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/pki"
)

// adminUser is the kubeconfig's own user: a client certificate in group system:masters.
const adminUser = "driftgate-dev-admin"

// The demo's groups: on-call people may edit and request grants; approvers approve them
// (approverGroup is the default breakGlass.approverGroups).
const (
	oncallGroup   = "oncall"
	approverGroup = "driftgate-approvers"
)

// person is a human user of the demo, with a client certificate and a kubeconfig context.
type person struct {
	name   string
	groups []string
}

// people are the demo's humans: alice and carol are on call, bob approves break-glass grants.
func people() []person {
	return []person{
		{name: "alice", groups: []string{oncallGroup}},
		{name: "bob", groups: []string{approverGroup}},
		{name: "carol", groups: []string{oncallGroup}},
	}
}

// clusterPKI is what the cluster and its clients authenticate with. The files are in layout.pki()
// and layout.webhookCerts(); client keys are only in the kubeconfig.
type clusterPKI struct {
	clusterCA pki.KeyPair            // signs the API server's certificate and every client certificate
	admin     pki.KeyPair            // adminUser, system:masters
	people    map[string]pki.KeyPair // by person name
	webhookCA pki.KeyPair            // signs driftgate's serving certificate
}

// makePKI creates the directories and every certificate and key.
func makePKI(l layout) (*clusterPKI, error) {
	for _, dir := range []string{l.pki(), l.webhookCerts()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	p, err := makeClusterPKI(l)
	if err != nil {
		return nil, err
	}
	if err := writeServiceAccountKey(l); err != nil {
		return nil, err
	}
	if p.webhookCA, err = makeWebhookPKI(l); err != nil {
		return nil, err
	}
	return p, nil
}

func makeClusterPKI(l layout) (*clusterPKI, error) {
	ca, err := pki.NewCA("driftgate-dev-cluster-ca")
	if err != nil {
		return nil, err
	}
	serving, err := ca.Issue(pki.ServingTemplate("kube-apiserver", "kubernetes", "kubernetes.default", "kubernetes.default.svc"))
	if err != nil {
		return nil, err
	}
	if err := pki.WriteKeyPair(l.pki(), "apiserver", serving); err != nil {
		return nil, err
	}
	p := &clusterPKI{clusterCA: ca, people: map[string]pki.KeyPair{}}
	if p.admin, err = ca.Issue(pki.ClientTemplate(adminUser, "system:masters")); err != nil {
		return nil, err
	}
	for _, who := range people() {
		if p.people[who.name], err = ca.Issue(pki.ClientTemplate(who.name, who.groups...)); err != nil {
			return nil, err
		}
	}
	return p, pki.WriteFiles(map[string][]byte{filepath.Join(l.pki(), "ca.crt"): ca.CertPEM()})
}

// writeServiceAccountKey writes the key kube-apiserver signs service account tokens with
// (sa.key) and the public key it verifies them with (sa.pub).
func writeServiceAccountKey(l layout) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating the service account key: %w", err)
	}
	keyPEM, err := pki.PrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("encoding the service account public key: %w", err)
	}
	return pki.WriteFiles(map[string][]byte{
		filepath.Join(l.pki(), "sa.key"): keyPEM,
		filepath.Join(l.pki(), "sa.pub"): pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
	})
}

// makeWebhookPKI writes driftgate's serving certificate (tls.crt, tls.key, for
// --cert-mode=provided) and its CA (ca.crt beside them, which driftgate puts in the caBundle of
// the webhook registration it creates).
func makeWebhookPKI(l layout) (pki.KeyPair, error) {
	ca, err := pki.NewCA("driftgate-dev-webhook-ca")
	if err != nil {
		return pki.KeyPair{}, err
	}
	serving, err := ca.Issue(pki.ServingTemplate("driftgate-webhook"))
	if err != nil {
		return pki.KeyPair{}, err
	}
	keyPEM, err := serving.KeyPEM()
	if err != nil {
		return pki.KeyPair{}, err
	}
	return ca, pki.WriteFiles(map[string][]byte{
		filepath.Join(l.webhookCerts(), certs.CertName): serving.CertPEM(),
		filepath.Join(l.webhookCerts(), certs.KeyName):  keyPEM,
		filepath.Join(l.webhookCerts(), certs.CAName):   ca.CertPEM(),
		filepath.Join(l.pki(), "webhook-ca.crt"):        ca.CertPEM(),
	})
}
