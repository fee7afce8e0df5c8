package loop

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/driftgate/driftgate/audit/source"
)

func argoSecret(ns, name, kind string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{argoSecretTypeLabel: kind}}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// TestArgoCredentials: a source's credentials are Argo CD's for its URL: the repository Secret
// whose url is the source's (as Argo CD compares URLs; the Application's project's before one of
// no project, another project's never), its credentials from the credential template with the
// longest prefix of the URL when it has none or there is none, in Argo CD's namespace only; with SSH host keys from its known-hosts
// ConfigMap (any with insecure), and a CA for HTTPS from its TLS ConfigMap.
func TestArgoCredentials(t *testing.T) {
	const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot parsed here\n-----END OPENSSH PRIVATE KEY-----\n"
	objs := []client.Object{
		argoSecret("argocd", "shop", argoRepository, map[string]string{"url": "https://git.example.com/Team/Shop.git", "username": "shop", "password": "s3"}),
		argoSecret("argocd", "team", argoRepoCreds, map[string]string{"url": "https://git.example.com/team", "username": "team", "password": "t3"}),
		argoSecret("argocd", "all", argoRepoCreds, map[string]string{"url": "https://git.example.com/", "bearerToken": "tok"}),
		argoSecret("argocd", "ssh", argoRepository, map[string]string{"url": "ssh://git@git.example.com/team/infra", "sshPrivateKey": key}),
		argoSecret("argocd", "ssh-insecure", argoRepository, map[string]string{"url": "ssh://git@other.example.com/x", "sshPrivateKey": key, "insecure": "true"}),
		argoSecret("argocd", "app", argoRepository, map[string]string{"url": "https://apps.example.com/a", "githubAppPrivateKey": "k"}),
		argoSecret("elsewhere", "evil", argoRepository, map[string]string{"url": "https://other.example.com/x", "password": "no"}),
		argoSecret("argocd", "url-only", argoRepository, map[string]string{"url": "https://git.example.com/team/plain", "insecure": "false"}),
		argoSecret("argocd", "payments", argoRepository, map[string]string{"url": "https://pay.example.com/p", "project": "payments", "password": "pay"}),
		argoSecret("argocd", "any-project", argoRepository, map[string]string{"url": "https://pay.example.com/p", "password": "any"}),
		argoSecret("argocd", "other-project", argoRepository, map[string]string{"url": "https://pay.example.com/q", "project": "other", "password": "other"}),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: argoKnownHostsCM}, Data: map[string]string{"ssh_known_hosts": "git.example.com ssh-ed25519 AAAA"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: argoTLSCertsCM}, Data: map[string]string{"git.example.com": "PEM"}},
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{APIReader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()}
	for _, tt := range []struct {
		url, project string
		want         source.Auth
		wantErr      string
	}{
		{url: "https://git.example.com/team/plain", want: source.Auth{Username: "team", Password: "t3", CABundle: []byte("PEM")}},
		{url: "https://pay.example.com/p", project: "payments", want: source.Auth{Password: "pay"}},
		{url: "https://pay.example.com/p", project: "shop", want: source.Auth{Password: "any"}},
		{url: "https://pay.example.com/q", project: "shop", want: source.Auth{}},
		{url: "https://git.example.com/team/shop", want: source.Auth{Username: "shop", Password: "s3", CABundle: []byte("PEM")}},
		{url: "https://git.example.com/team/other.git", want: source.Auth{Username: "team", Password: "t3", CABundle: []byte("PEM")}},
		{url: "https://git.example.com/elsewhere", want: source.Auth{BearerToken: "tok", CABundle: []byte("PEM")}},
		{url: "ssh://git@git.example.com/team/infra.git", want: source.Auth{SSHPrivateKey: []byte(key), KnownHosts: []byte("git.example.com ssh-ed25519 AAAA")}},
		{url: "git@git.example.com:team/infra", want: source.Auth{SSHPrivateKey: []byte(key), KnownHosts: []byte("git.example.com ssh-ed25519 AAAA")}},
		{url: "ssh://git@other.example.com/x", want: source.Auth{SSHPrivateKey: []byte(key), InsecureIgnoreHostKey: true}},
		{url: "https://other.example.com/x", want: source.Auth{}},
		{url: "https://apps.example.com/a", wantErr: "Argo CD's repository Secret argocd/app: GitHub App, Google Cloud and Azure service principal credentials are not read by driftgate"},
	} {
		t.Run(tt.url+" "+tt.project, func(t *testing.T) {
			got, err := r.argoCredentials(context.Background(), tt.url, tt.project)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArgoTracking: with label tracking in argocd-cm, objects carry the instance label with the
// Application's name (<namespace>_<name> outside Argo CD's namespace), cut to 63 characters
// with annotation+label tracking only; with the default annotation tracking, no label.
func TestArgoTracking(t *testing.T) {
	app := func(ns string) *unstructured.Unstructured {
		u := newApplication()
		u.SetNamespace(ns)
		u.SetName("shop")
		return u
	}
	for _, tt := range []struct {
		name         string
		cm           map[string]string
		ns           string
		wantLabel    string
		wantValue    string
		wantTruncate bool
	}{
		{name: "annotation, the default", cm: map[string]string{}, ns: "argocd"},
		{name: "label", cm: map[string]string{"application.resourceTrackingMethod": "label"}, ns: "argocd", wantLabel: "app.kubernetes.io/instance", wantValue: "shop"},
		{name: "both, own key, another namespace", cm: map[string]string{"application.resourceTrackingMethod": "annotation+label", "application.instanceLabelKey": "argocd.example.com/app"},
			ns: "team", wantLabel: "argocd.example.com/app", wantValue: "team_shop", wantTruncate: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scheme := runtime.NewScheme()
			if err := clientgoscheme.AddToScheme(scheme); err != nil {
				t.Fatal(err)
			}
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: argoCM}, Data: tt.cm}
			r := &Reconciler{APIReader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm).Build()}
			settings, err := r.argoSettings(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			tr := settings.tracking
			got := []any{tr.label, "", tr.truncate}
			if tr.label != "" {
				got[1] = instanceName(app(tt.ns), "argocd")
			}
			if diff := cmp.Diff([]any{tt.wantLabel, tt.wantValue, tt.wantTruncate}, got); diff != "" {
				t.Errorf("tracking label, value and truncation (-want +got):\n%s", diff)
			}
		})
	}
}
