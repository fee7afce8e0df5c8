package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/driftgate/driftgate/internal/pki"
)

// WebhookClientCN is the common name of the client certificate the API server presents to
// admission webhooks when Options.WebhookClientCert is set.
const WebhookClientCN = "kube-apiserver"

// webhookClientCert gives the API server a client certificate for calling webhooks, as an
// operator does with an AdmissionConfiguration (docs/operations.md): a CA (its PEM in
// WebhookClientCA, for `driftgate serve --client-ca`), a certificate for WebhookClientCN, and
// the kubeconfig and AdmissionConfiguration that hand it to the ValidatingAdmissionWebhook
// plugin for every webhook ("*"). It returns the admission configuration file.
func (c *Cluster) webhookClientCert() (string, error) {
	ca, err := pki.NewCA("driftgate-test-apiserver-client-ca")
	if err != nil {
		return "", err
	}
	leaf, err := ca.Issue(pki.ClientTemplate(WebhookClientCN))
	if err != nil {
		return "", err
	}
	key, err := leaf.KeyPEM()
	if err != nil {
		return "", err
	}
	c.WebhookClientCA = filepath.Join(c.dir, "webhook-client-ca.crt")
	kubeconfig := filepath.Join(c.dir, "webhook-client.kubeconfig")
	admission := filepath.Join(c.dir, "admission-configuration.yaml")
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos["*"] = &clientcmdapi.AuthInfo{ClientCertificateData: leaf.CertPEM(), ClientKeyData: key}
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		return "", err
	}
	doc := fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: %s
`, kubeconfig)
	if err := os.WriteFile(c.WebhookClientCA, ca.CertPEM(), 0o600); err != nil {
		return "", err
	}
	return admission, os.WriteFile(admission, []byte(doc), 0o600)
}
