package main

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/driftgate/driftgate/internal/pki"
)

// clusterName names the cluster, and the admin's context, in the kubeconfigs.
const clusterName = "driftgate-dev"

// writeAdminKubeconfig writes the kubeconfig people use: the admin's context (current), which
// may impersonate anyone, and one context per person with their own client certificate.
func writeAdminKubeconfig(path, server string, p *clusterPKI) error {
	cfg := newKubeconfig(server, p.clusterCA.CertPEM())
	if err := addUser(cfg, clusterName, adminUser, p.admin); err != nil {
		return err
	}
	for _, who := range people() {
		if err := addUser(cfg, who.name, who.name, p.people[who.name]); err != nil {
			return err
		}
	}
	cfg.CurrentContext = clusterName
	return writeKubeconfig(cfg, path)
}

// writeTokenKubeconfig writes a kubeconfig that authenticates with a bearer token.
func writeTokenKubeconfig(path, server string, caPEM []byte, user, token string) error {
	cfg := newKubeconfig(server, caPEM)
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[clusterName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	cfg.CurrentContext = clusterName
	return writeKubeconfig(cfg, path)
}

// fluxContext is the admin kubeconfig's context that writes as Flux, with its token.
const fluxContext = "flux"

// addTokenContext adds a context authenticating user with token to the kubeconfig at path.
func addTokenContext(path, context, user, token string) error {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return fmt.Errorf("loading %s: %w", path, err)
	}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	return writeKubeconfig(cfg, path)
}

func newKubeconfig(server string, caPEM []byte) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	return cfg
}

func addUser(cfg *clientcmdapi.Config, context, user string, k pki.KeyPair) error {
	keyPEM, err := k.KeyPEM()
	if err != nil {
		return err
	}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: k.CertPEM(), ClientKeyData: keyPEM}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	return nil
}

func writeKubeconfig(cfg *clientcmdapi.Config, path string) error {
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// restConfig loads a kubeconfig's current context.
func restConfig(path string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return cfg, nil
}
