// Package argocd runs Argo CD's repo server and application controller (the multi-call binary
// hack/argocd.sh builds) and a Redis beside them, as plain processes outside a cluster: for the
// dev cluster and the tests, where Argo CD syncs a real API server through driftgate.
//
// Outside a pod: the application controller reaches its built-in destination (in-cluster,
// https://kubernetes.default.svc) through KUBECONFIG with ARGOCD_FAKE_IN_CLUSTER; the repo server
// runs git-verify-wrapper.sh from PATH for every manifest generation (a missing one reads
// "permission denied"), so the binary's directory goes first on PATH; GPG is off; each repo
// server has its own TMPDIR and askpass socket.
package argocd

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/supervise"
)

// Component names, in start order.
const (
	Redis                 = "redis"
	RepoServer            = "argocd-repo-server"
	ApplicationController = "argocd-application-controller"
)

// Run is one Argo CD beside a cluster.
type Run struct {
	// Bin is hack/argocd.sh's directory; Redis the redis-server binary.
	Bin, Redis string
	// Dir holds the repo server's TMPDIR and askpass socket.
	Dir string
	// Namespace holds Argo CD's settings and Applications.
	Namespace string
	// Kubeconfig authenticates the application controller (its service account's token).
	Kubeconfig string
	// Ports on loopback.
	RedisPort, RepoPort, RepoMetricsPort, ControllerMetricsPort int
	// Resync is how often Applications are compared with Git (Argo CD's default is 3 minutes;
	// tests use seconds). Self-heal reverts at once, without backoff.
	Resync time.Duration
}

// Component is a process to start and how to tell it is ready.
type Component struct {
	Name  string
	Path  string
	Args  []string
	Env   []string // added to the environment
	Ready func(context.Context) bool
}

// Components are Redis, the repo server and the application controller, in start order.
func (r Run) Components() []Component {
	redis := "127.0.0.1:" + strconv.Itoa(r.RedisPort)
	resync := r.resync()
	env := []string{"PATH=" + r.Bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ARGOCD_GPG_ENABLED=false", "ARGOCD_RECONCILIATION_TIMEOUT=" + resync + "s"}
	return []Component{{
		Name: Redis, Path: r.Redis,
		Args:  []string{"--port", strconv.Itoa(r.RedisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
		Ready: dials(redis),
	}, {
		Name: RepoServer, Path: filepath.Join(r.Bin, RepoServer),
		Args: []string{"--address", "127.0.0.1", "--port", strconv.Itoa(r.RepoPort), "--metrics-address", "127.0.0.1",
			"--metrics-port", strconv.Itoa(r.RepoMetricsPort), "--redis", redis, "--disable-tls", "--client-ca-path=", "--logformat", "json"},
		Env: append(env, "TMPDIR="+filepath.Join(r.Dir, "tmp"), "ARGOCD_ASK_PASS_SOCK="+filepath.Join(r.Dir, "askpass.sock"),
			"ARGOCD_PAUSE_GEN_AFTER_FAILED_ATTEMPTS=0"),
		Ready: supervise.AnswersOK(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(r.RepoMetricsPort)+"/metrics"),
	}, {
		Name: ApplicationController, Path: filepath.Join(r.Bin, ApplicationController),
		Args: []string{"--namespace", r.Namespace, "--repo-server", "127.0.0.1:" + strconv.Itoa(r.RepoPort), "--repo-server-plaintext",
			"--redis", redis, "--metrics-port", strconv.Itoa(r.ControllerMetricsPort), "--app-resync", resync, "--app-resync-jitter", "0",
			"--self-heal-backoff-timeout-seconds", "0", "--self-heal-timeout-seconds", "0", "--logformat", "json"},
		Env:   append(env, "KUBECONFIG="+r.Kubeconfig, "ARGOCD_FAKE_IN_CLUSTER=true"),
		Ready: supervise.AnswersOK(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(r.ControllerMetricsPort)+"/metrics"),
	}}
}

// Prepare makes the repo server's directory and the objects the application controller reads in
// its namespace: argocd-cm (with timeout.reconciliation the Resync, which an install gives the
// controller from it, and driftgate reads) and argocd-secret (found by their part-of label) and
// the default AppProject, which Argo CD's API server would otherwise create. Objects that exist
// are kept.
func (r Run) Prepare(ctx context.Context, admin client.Client) error {
	if err := os.MkdirAll(filepath.Join(r.Dir, "tmp"), 0o700); err != nil {
		return err
	}
	labels := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	project := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"sourceRepos":              []any{"*"},
		"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
		"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
	}}}
	project.SetAPIVersion("argoproj.io/v1alpha1")
	project.SetKind("AppProject")
	project.SetNamespace(r.Namespace)
	project.SetName("default")
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.Namespace}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: "argocd-cm", Labels: labels},
			Data: map[string]string{"timeout.reconciliation": r.resync() + "s"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: "argocd-secret", Labels: labels}},
		project,
	} {
		if err := admin.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Argo CD's %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

// Unlock makes the repo server's directory removable: it leaves its clones unreadable (0o000)
// between uses.
func (r Run) Unlock() {
	_ = filepath.Walk(r.Dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
}

// resync is Resync in whole seconds, at least 1.
func (r Run) resync() string { return strconv.Itoa(max(1, int(r.Resync.Seconds()))) }

func dials(addr string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}
