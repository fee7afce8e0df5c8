package loop

import (
	"context"
	"fmt"
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

// argoCredentials are the credentials Argo CD clones repoURL with: those of its repository
// Secret for that URL, else of the credential template (repo-creds) with the longest URL prefix
// of it; none for a public repository. SSH host keys come from argocd-ssh-known-hosts-cm
// (insecure: "true" accepts any), a CA for HTTPS from argocd-tls-certs-cm. Everything is read
// uncached from Argo CD's namespace; values never go into errors.
func (r *Reconciler) argoCredentials(ctx context.Context, repoURL string) (source.Auth, error) {
	ns := r.argoNamespace()
	var list corev1.SecretList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(ns), client.HasLabels{argoSecretTypeLabel}); err != nil {
		return source.Auth{}, fmt.Errorf("listing Argo CD's repository Secrets in %s: %w", ns, err)
	}
	var found *corev1.Secret
	prefix := 0
	want := normalRepoURL(repoURL)
	for i := range list.Items {
		s := &list.Items[i]
		u := normalRepoURL(string(s.Data["url"]))
		switch s.Labels[argoSecretTypeLabel] {
		case argoRepository:
			if u == want {
				found, prefix = s, len(want)+1
			}
		case argoRepoCreds:
			if u != "" && strings.HasPrefix(want, u) && len(u) > prefix {
				found, prefix = s, len(u)
			}
		}
	}
	if found == nil {
		return source.Auth{}, nil
	}
	auth, err := r.argoAuth(ctx, ns, found.Data, repoURL)
	if err != nil {
		return source.Auth{}, fmt.Errorf("Argo CD's repository Secret %s/%s: %w", ns, found.Name, err)
	}
	return auth, nil
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

// argoTracking is how Argo CD tracks what it applies (argocd-cm): by annotation (the default,
// argocd.argoproj.io/tracking-id, never drift), by label, or both; label names the label, and
// with both Argo CD cuts its value to 63 characters (truncate).
type argoTracking struct {
	label    string
	truncate bool
}

// argoTracking reads application.resourceTrackingMethod and application.instanceLabelKey.
func (r *Reconciler) argoTracking(ctx context.Context) (argoTracking, error) {
	cm, err := r.argoConfigMap(ctx, r.argoNamespace(), argoCM)
	if err != nil {
		return argoTracking{}, err
	}
	switch method := cm["application.resourceTrackingMethod"]; method {
	case "label", "annotation+label":
		key := cm["application.instanceLabelKey"]
		if key == "" {
			key = "app.kubernetes.io/instance"
		}
		return argoTracking{label: key, truncate: method == "annotation+label"}, nil
	}
	return argoTracking{}, nil
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
