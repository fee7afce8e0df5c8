package testenv

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/driftgate/driftgate/internal/testutil"
)

// Warnings collects the warnings the API server returned to one client.
type Warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// All returns every warning so far, one per line.
func (w *Warnings) All() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.list, "\n")
}

// Actor is one identity's clients.
type Actor struct {
	Name     string
	Client   client.Client
	CS       kubernetes.Interface
	Config   *rest.Config
	Warnings *Warnings
}

// NewActor acts with cfg's credentials, named name in the test's messages.
func (c *Cluster) NewActor(t testing.TB, name string, cfg *rest.Config) *Actor {
	t.Helper()
	w := &Warnings{}
	cfg.WarningHandler = w
	cl, err := client.New(cfg, client.Options{Scheme: c.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &Actor{Name: name, Client: cl, CS: cs, Config: cfg, Warnings: w}
}

// Person acts as user, in groups (besides system:authenticated), through impersonation.
func (c *Cluster) Person(t testing.TB, user string, groups ...string) *Actor {
	cfg := rest.CopyConfig(c.Admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string{"system:authenticated"}, groups...)}
	return c.NewActor(t, user, cfg)
}

// ServiceAccount acts with the service account's own token.
func (c *Cluster) ServiceAccount(t testing.TB, key string) *Actor {
	t.Helper()
	cfg, err := c.ServiceAccountConfig(key)
	if err != nil {
		t.Fatal(err)
	}
	return c.NewActor(t, c.UserName(key), cfg)
}

// AdminActor acts as the cluster admin (system:masters).
func (c *Cluster) AdminActor(t testing.TB) *Actor {
	return c.NewActor(t, "admin", rest.CopyConfig(c.Admin))
}

// Namespace creates a fresh namespace for one test, labelled as given, deleted after it. Flux
// creates it: only GitOps identities may set driftgate's mode label.
func (c *Cluster) Namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-", Labels: labels}}
	a := c.ServiceAccount(t, Flux)
	if err := a.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Client.Delete(context.Background(), ns) })
	return ns.Name
}

// Kubeconfig writes the admin's credentials as a kubeconfig file, for running the CLI (which
// impersonates people with --as).
func (c *Cluster) Kubeconfig(t testing.TB) string {
	t.Helper()
	a := c.Admin
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: a.Host, CertificateAuthorityData: a.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: a.CertData, ClientKeyData: a.KeyData}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	cfg.CurrentContext = "envtest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// ServiceAccountKubeconfig writes a kubeconfig that authenticates with the service account's
// token, for a driftgate process; server, when not empty, replaces the API server's address
// (a proxy in front of it).
func (c *Cluster) ServiceAccountKubeconfig(t testing.TB, key, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), key+".kubeconfig")
	if err := c.WriteServiceAccountKubeconfig(key, server, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// WriteServiceAccountKubeconfig writes at path a kubeconfig that authenticates with the service
// account's token (a GitOps controller's, run beside the tests); server as ServiceAccountKubeconfig.
func (c *Cluster) WriteServiceAccountKubeconfig(key, server, path string) error {
	sa, err := c.ServiceAccountConfig(key)
	if err != nil {
		return err
	}
	if server == "" {
		server = sa.Host
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: sa.CAData}
	cfg.AuthInfos[key] = &clientcmdapi.AuthInfo{Token: sa.BearerToken}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: key}
	cfg.CurrentContext = "envtest"
	return clientcmd.WriteToFile(*cfg, path)
}

// CLIPath is the driftgate binary built for Options.CLI.
func (c *Cluster) CLIPath(t testing.TB) string {
	t.Helper()
	if c.cli == "" {
		t.Fatal("the driftgate CLI was not built: set testenv.Options.CLI")
	}
	return c.cli
}

// RunCLI runs the driftgate binary built for Options.CLI with the kubeconfig and returns its
// stdout, stderr and exit code.
func (c *Cluster) RunCLI(t testing.TB, kubeconfig string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if c.cli == "" {
		t.Fatal("the driftgate CLI was not built: set testenv.Options.CLI")
	}
	return testutil.Run(t, c.cli, append(args, "--kubeconfig", kubeconfig)...)
}

// CertificateUser acts with a client certificate the cluster's CA issued for user (in groups):
// authenticated as the kubelets, the controller manager and the scheduler are, with an
// X509SHA256 credential id.
func (c *Cluster) CertificateUser(t testing.TB, user string, groups ...string) *Actor {
	t.Helper()
	u, err := c.env.AddUser(envtest.User{Name: user, Groups: groups}, c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return c.NewActor(t, user, u.Config())
}
