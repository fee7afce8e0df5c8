package loop

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/audit/source"
)

// Argo CD's settings, in its namespace.
const (
	argoSecretTypeLabel = "argocd.argoproj.io/secret-type"
	argoRepository      = "repository"
	argoRepoCreds       = "repo-creds"
	argoCM              = "argocd-cm"
	argoKnownHostsCM    = "argocd-ssh-known-hosts-cm"
	argoTLSCertsCM      = "argocd-tls-certs-cm"
)

// argoCredentials are the credentials Argo CD clones repoURL with for an Application of
// project: its repository Secret for that URL (one of the project's before one of no project;
// another project's is not used), its credentials taken, when it holds none, from the credential
// template (repo-creds) with the longest URL prefix of it; no repository Secret: the template's;
// none for a public repository. SSH host keys come from argocd-ssh-known-hosts-cm (insecure:
// "true" accepts any), a CA for HTTPS from argocd-tls-certs-cm. Everything is read uncached
// from Argo CD's namespace; values never go into errors.
func (r *Reconciler) argoCredentials(ctx context.Context, repoURL, project string) (source.Auth, error) {
	ns := r.argoNamespace()
	var list corev1.SecretList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(ns), client.HasLabels{argoSecretTypeLabel}); err != nil {
		return source.Auth{}, fmt.Errorf("listing Argo CD's repository Secrets in %s: %w", ns, err)
	}
	var repo, creds *corev1.Secret
	prefix := 0
	want := normalRepoURL(repoURL)
	for i := range list.Items {
		s := &list.Items[i]
		u := normalRepoURL(string(s.Data["url"]))
		switch s.Labels[argoSecretTypeLabel] {
		case argoRepository:
			p := string(s.Data["project"])
			if u == want && (p == project || (p == "" && (repo == nil || string(repo.Data["project"]) != project))) {
				repo = s
			}
		case argoRepoCreds:
			if u != "" && strings.HasPrefix(want, u) && len(u) > prefix {
				creds, prefix = s, len(u)
			}
		}
	}
	data, from := map[string][]byte{}, []*corev1.Secret{}
	if repo != nil {
		maps.Copy(data, repo.Data)
		from = append(from, repo)
	}
	if creds != nil && !hasArgoCredentials(data) {
		for _, k := range argoCredentialKeys() {
			if v, ok := creds.Data[k]; ok && len(data[k]) == 0 {
				data[k] = v
			}
		}
		from = append(from, creds)
	}
	if len(from) == 0 {
		return source.Auth{}, nil
	}
	auth, err := r.argoAuth(ctx, ns, data, repoURL)
	if err != nil {
		names := make([]string, len(from))
		for i, s := range from {
			names[i] = ns + "/" + s.Name
		}
		return source.Auth{}, fmt.Errorf("Argo CD's repository Secret %s: %w", strings.Join(names, " with "), err)
	}
	return auth, nil
}

// argoCredentialKeys are the keys of a repository Secret that are credentials, which Argo CD
// takes from a credential template when the repository's own Secret has none.
func argoCredentialKeys() []string {
	return []string{"username", "password", "bearerToken", "sshPrivateKey", "tlsClientCertData", "tlsClientCertKey",
		"githubAppPrivateKey", "githubAppID", "githubAppInstallationID", "gcpServiceAccountKey",
		"azureServicePrincipalClientId", "azureServicePrincipalClientSecret", "azureServicePrincipalTenantId"}
}

// hasArgoCredentials reports whether a repository Secret's data holds credentials, as Argo CD
// decides it (a username, password, bearer token, SSH key, client certificate or cloud
// identity).
func hasArgoCredentials(data map[string][]byte) bool {
	for _, k := range []string{"username", "password", "bearerToken", "sshPrivateKey", "tlsClientCertData", "githubAppPrivateKey",
		"gcpServiceAccountKey", "azureServicePrincipalClientSecret"} {
		if len(data[k]) > 0 {
			return true
		}
	}
	return false
}

// argoAuth reads a repository Secret's keys as Argo CD does: username and password (or
// bearerToken) for HTTPS, sshPrivateKey for SSH, tlsClientCertData and tlsClientCertKey.
func (r *Reconciler) argoAuth(ctx context.Context, ns string, data map[string][]byte, repoURL string) (source.Auth, error) {
	a := source.Auth{
		Username: string(data["username"]), Password: string(data["password"]), BearerToken: string(data["bearerToken"]),
		SSHPrivateKey: data["sshPrivateKey"], TLSClientCert: data["tlsClientCertData"], TLSClientKey: data["tlsClientCertKey"],
	}
	if len(data["githubAppPrivateKey"]) > 0 || len(data["gcpServiceAccountKey"]) > 0 || len(data["azureServicePrincipalClientSecret"]) > 0 {
		return source.Auth{}, fmt.Errorf("GitHub App, Google Cloud and Azure service principal credentials are not read by driftgate")
	}
	insecure := string(data["insecure"]) == "true"
	if len(a.SSHPrivateKey) > 0 {
		if insecure {
			a.InsecureIgnoreHostKey = true
			return a, nil
		}
		hosts, err := r.argoConfigMap(ctx, ns, argoKnownHostsCM)
		if err != nil {
			return source.Auth{}, err
		}
		a.KnownHosts = []byte(hosts["ssh_known_hosts"])
		return a, nil
	}
	if u, err := url.Parse(repoURL); err == nil && u.Scheme == "https" {
		certs, err := r.argoConfigMap(ctx, ns, argoTLSCertsCM)
		if err != nil {
			return source.Auth{}, err
		}
		if pem := certs[u.Hostname()]; pem != "" {
			a.CABundle = []byte(pem)
		}
	}
	return a, nil
}

// argoConfigMap is the data of one of Argo CD's ConfigMaps; none when it is not there.
func (r *Reconciler) argoConfigMap(ctx context.Context, ns, name string) (map[string]string, error) {
	var cm corev1.ConfigMap
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Argo CD's ConfigMap %s/%s: %w", ns, name, err)
	}
	return cm.Data, nil
}

// normalRepoURL is a repository URL as Argo CD compares them (exactly, for a repository
// Secret; by prefix, for a credential template): lower case, an scp-like git@host:path as
// ssh://git@host/path, without ".git" and then without "ssh://".
func normalRepoURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	if colon, slash := strings.Index(u, ":"), strings.Index(u, "/"); !strings.Contains(u, "://") && colon > 0 && (slash < 0 || colon < slash) {
		u = "ssh://" + strings.Replace(u, ":", "/", 1)
	}
	u = strings.TrimSuffix(u, ".git")
	return strings.TrimPrefix(u, "ssh://")
}

// instanceName is the name Argo CD gives an Application's render (its tracking label value
// and ARGOCD_APP_NAME): its name, or <namespace>_<name> for one outside Argo CD's
// namespace.
func instanceName(u *unstructured.Unstructured, argoNS string) string {
	if u.GetNamespace() == argoNS {
		return u.GetName()
	}
	return u.GetNamespace() + "_" + u.GetName()
}
