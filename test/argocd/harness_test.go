package argocd_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testenv"
	"github.com/driftgate/driftgate/internal/testutil"
)

// argoNamespace holds Argo CD's settings and Applications.
const argoNamespace = "argocd"

type components struct {
	dir   string // logs, the kubeconfig, the repo server's TMPDIR
	procs []*supervise.Process
}

// start runs Redis, the repo server and the application controller outside the cluster, the
// controller with a token of its own service account (the suite's Argo CD identity, bound to
// cluster-admin as Argo CD's install binds it). Self-heal reverts at once (no backoff) and
// Applications are compared every 2 s, so a test sees in seconds what a cluster does in minutes.
func (a *components) start(ctx context.Context, bin string) error {
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server is not on PATH (make test installs it with hack/redis.sh): %w", err)
	}
	if a.dir, err = os.MkdirTemp("", "driftgate-argocd-"); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(a.dir, "tmp"), 0o700); err != nil {
		return err
	}
	admin, err := client.New(cluster.Admin, client.Options{Scheme: cluster.Scheme})
	if err != nil {
		return err
	}
	if err := settings(ctx, admin); err != nil {
		return err
	}
	kubeconfig := filepath.Join(a.dir, "kubeconfig")
	if err := cluster.WriteServiceAccountKubeconfig(testenv.ArgoCD, "", kubeconfig); err != nil {
		return err
	}
	ports, err := testutil.FreePorts(4)
	if err != nil {
		return err
	}
	redisAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	repoAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ARGOCD_GPG_ENABLED=false", "ARGOCD_RECONCILIATION_TIMEOUT=2s")
	for _, c := range []struct {
		spec  supervise.Spec
		ready func(context.Context) bool
	}{{
		spec: supervise.Spec{Name: "redis", Path: redis,
			Args: []string{"--port", strconv.Itoa(ports[0]), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}},
		ready: dials(redisAddr),
	}, {
		spec: supervise.Spec{Name: "argocd-repo-server", Path: filepath.Join(bin, "argocd-repo-server"),
			Args: []string{"--address", "127.0.0.1", "--port", strconv.Itoa(ports[1]), "--metrics-address", "127.0.0.1",
				"--metrics-port", strconv.Itoa(ports[2]), "--redis", redisAddr, "--disable-tls", "--client-ca-path=", "--logformat", "json"},
			Env: append(env, "TMPDIR="+filepath.Join(a.dir, "tmp"), "ARGOCD_ASK_PASS_SOCK="+filepath.Join(a.dir, "askpass.sock"),
				"ARGOCD_PAUSE_GEN_AFTER_FAILED_ATTEMPTS=0")},
		ready: supervise.AnswersOK(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(ports[2])+"/metrics"),
	}, {
		spec: supervise.Spec{Name: "argocd-application-controller", Path: filepath.Join(bin, "argocd-application-controller"),
			Args: []string{"--namespace", argoNamespace, "--repo-server", repoAddr, "--repo-server-plaintext", "--redis", redisAddr,
				"--metrics-port", strconv.Itoa(ports[3]), "--app-resync", "2", "--app-resync-jitter", "0",
				"--self-heal-backoff-timeout-seconds", "0", "--self-heal-timeout-seconds", "0", "--logformat", "json"},
			// The built-in destination (in-cluster) uses KUBECONFIG outside a pod.
			Env: append(env, "KUBECONFIG="+kubeconfig, "ARGOCD_FAKE_IN_CLUSTER=true")},
		ready: supervise.AnswersOK(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(ports[3])+"/metrics"),
	}} {
		c.spec.Log = filepath.Join(a.dir, c.spec.Name+".log")
		p, err := supervise.Start(c.spec)
		if err != nil {
			return err
		}
		a.procs = append(a.procs, p)
		if err := p.WaitReady(ctx, 2*time.Minute, c.ready); err != nil {
			return err
		}
	}
	return nil
}

// settings are what the application controller reads in its namespace: argocd-cm and
// argocd-secret (found by their part-of label) and the default AppProject, which only Argo CD's
// API server would otherwise create.
func settings(ctx context.Context, admin client.Client) error {
	labels := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	project := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"sourceRepos":              []any{"*"},
		"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
		"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
	}}}
	project.SetAPIVersion("argoproj.io/v1alpha1")
	project.SetKind("AppProject")
	project.SetNamespace(argoNamespace)
	project.SetName("default")
	for _, o := range []client.Object{
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: argoNamespace, Name: "argocd-cm", Labels: labels}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: argoNamespace, Name: "argocd-secret", Labels: labels}},
		project,
	} {
		if err := admin.Create(ctx, o); err != nil {
			return fmt.Errorf("creating Argo CD's %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	return nil
}

func dials(addr string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
}

// stop stops Argo CD and removes its directory (the repo server leaves its clones unreadable).
func (a *components) stop() {
	for i := len(a.procs) - 1; i >= 0; i-- {
		_ = a.procs[i].Stop(10 * time.Second)
	}
	if a.dir != "" {
		_ = filepath.Walk(a.dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				_ = os.Chmod(path, 0o700)
			}
			return nil
		})
		_ = os.RemoveAll(a.dir)
	}
}

// log is the last lines of a component's log, for a failing test.
func (a *components) log(name string) string {
	return supervise.Tail(filepath.Join(a.dir, name+".log"), 30)
}
