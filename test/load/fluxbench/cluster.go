package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"

	"github.com/driftgate/driftgate/internal/gitwork"
)

// bench is one run: the cluster, its clients, and what has been measured.
type bench struct {
	o   *options
	out io.Writer
	res *results

	ports   devPorts
	admin   *rest.Config
	cs      kubernetes.Interface
	dyn     dynamic.Interface
	c       client.Client // admin, with driftgate's types
	alice   client.Client // alice's own client certificate (kubeconfig context alice)
	repo    *gitwork.Repo
	gitURL  string
	savedWC []byte // driftgate's ValidatingWebhookConfiguration as registered, for re-creating it
	// savedRules are driftgate's ClusterRole's rules as installed, put back when the webhook is
	// switched on again.
	savedRules []rbacv1.PolicyRule

	// Argo CD (--gitops argocd): the application controller's log, the commits syncs apply in
	// turn, and how many syncs were requested.
	argoLog   *logTail
	revisions []string
	syncs     int
}

// devPorts are the ports in devcluster's state.json that fluxbench reads.
type devPorts struct {
	APIServer        int `json:"apiserver"`
	Metrics          int `json:"metrics"` // driftgate serve's metrics
	GitServer        int `json:"gitServer"`
	KustomizeMetrics int `json:"kustomizeMetrics"`
	SourceMetrics    int `json:"sourceMetrics"`
	// Argo CD's application controller's metrics (--gitops argocd).
	ArgoControllerMetrics int `json:"argoControllerMetrics"`
}

func (b *bench) clusterDir() string    { return filepath.Join(b.o.dir, "cluster") }
func (b *bench) argo() bool            { return b.o.gitops == gitopsArgoCD }
func (b *bench) kubeconfig() string    { return filepath.Join(b.clusterDir(), "kubeconfig") }
func (b *bench) driftgateBin() string  { return filepath.Join(b.o.dir, "bin", "driftgate") }
func (b *bench) devclusterBin() string { return filepath.Join(b.o.dir, "bin", "devcluster") }

// startCluster copies the binaries into the state dir (a rebuild of bin/ during the run must not
// change what runs), stops a cluster an earlier run left there, and starts a new one with Flux
// or Argo CD.
func (b *bench) startCluster(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(b.o.dir, "bin"), 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(b.clusterDir()); err == nil {
		fmt.Fprintf(b.out, "stopping the cluster an earlier run left in %s\n", b.clusterDir())
		if err := b.stopCluster(); err != nil {
			return err
		}
	}
	for src, dst := range map[string]string{b.o.driftgate: b.driftgateBin(), b.o.devcluster: b.devclusterBin()} {
		if err := copyFile(src, dst, 0o755); err != nil {
			return err
		}
	}
	if v, err := exec.Command(b.driftgateBin(), "version").CombinedOutput(); err == nil {
		b.res.Machine.Driftgate = strings.TrimSpace(string(v))
	}
	controller, args := "Flux", []string{"--flux", b.o.flux}
	if b.argo() {
		controller, args = "Argo CD", []string{"--argocd", b.o.argocd}
	}
	fmt.Fprintf(b.out, "\nstarting the dev cluster with %s in %s\n", controller, b.clusterDir())
	start := time.Now()
	cmd := exec.CommandContext(ctx, b.devclusterBin(), append([]string{"up", "--dir", b.clusterDir(),
		"--driftgate", b.driftgateBin(), "--timeout", b.o.timeout.String()}, args...)...)
	cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+b.o.assets)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("devcluster up: %w\n%s", err, raw)
	}
	fmt.Fprintf(b.out, "cluster up in %s\n", time.Since(start).Round(100*time.Millisecond))
	return b.connect()
}

func (b *bench) stopCluster() error {
	redis := recordedRedis(b.clusterDir()) // read before down removes state.json
	raw, err := exec.Command(b.devclusterBin(), "down", "--dir", b.clusterDir()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("devcluster down: %w\n%s", err, raw)
	}
	if redis.PID > 0 && stopLeftRedis(redis) {
		fmt.Fprintf(b.out, "stopped Redis (pid %d), which devcluster down left running\n", redis.PID)
	}
	return nil
}

// redisRecord is devcluster's state.json record of its Redis (with --argocd).
type redisRecord struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

func recordedRedis(clusterDir string) redisRecord {
	var s struct {
		Processes map[string]redisRecord `json:"processes"`
	}
	raw, err := os.ReadFile(filepath.Join(clusterDir, "state.json"))
	if err != nil || json.Unmarshal(raw, &s) != nil {
		return redisRecord{}
	}
	return s.Processes["redis"]
}

// stopLeftRedis stops the recorded Redis if it still runs, and says whether it did. devcluster
// down does not stop it: redis-server rewrites its command line ("/usr/bin/redis-server
// 127.0.0.1:PORT" in one argument), so supervise.Alive finds no redis-server binary there and
// takes the process for gone. It is stopped here by its pid, after checking its start time (a
// later process with the same pid is left alone) and its command line.
func stopLeftRedis(r redisRecord) bool {
	running := func() bool {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.PID))
		if err != nil {
			return false
		}
		fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		if len(fields) < 20 || fields[0] == "Z" || fields[19] != strconv.FormatUint(r.Start, 10) {
			return false
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", r.PID))
		return err == nil && strings.Contains(string(cmdline), "redis-server")
	}
	if r.Start == 0 || !running() {
		return false
	}
	_ = syscall.Kill(r.PID, syscall.SIGTERM)
	for range 50 {
		if !running() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(r.PID, syscall.SIGKILL)
	return true
}

// connect reads state.json and builds the clients.
func (b *bench) connect() error {
	raw, err := os.ReadFile(filepath.Join(b.clusterDir(), "state.json"))
	if err != nil {
		return fmt.Errorf("reading devcluster's state: %w", err)
	}
	var s struct {
		Ports devPorts `json:"ports"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("devcluster's state.json: %w", err)
	}
	controller := s.Ports.KustomizeMetrics
	if b.argo() {
		controller = s.Ports.ArgoControllerMetrics
	}
	if s.Ports.GitServer == 0 || controller == 0 || s.Ports.Metrics == 0 {
		return fmt.Errorf("state.json has no Git server, %s controller or driftgate metrics port: %+v", b.o.gitops, s.Ports)
	}
	b.ports = s.Ports
	if b.admin, err = contextConfig(b.kubeconfig(), ""); err != nil {
		return err
	}
	// The bench's own reads and writes must not be throttled by client-go's default 5 qps.
	b.admin.QPS, b.admin.Burst = 100, 200
	if b.cs, err = kubernetes.NewForConfig(b.admin); err != nil {
		return err
	}
	if b.dyn, err = dynamic.NewForConfig(b.admin); err != nil {
		return err
	}
	if b.c, err = newClient(b.admin); err != nil {
		return err
	}
	aliceCfg, err := contextConfig(b.kubeconfig(), "alice")
	if err != nil {
		return err
	}
	// driftgate warns on every write under a grant; the bench does not print the warnings.
	aliceCfg.WarningHandler = rest.NoWarnings{}
	b.alice, err = newClient(aliceCfg)
	return err
}

func contextConfig(kubeconfig, context string) (*rest.Config, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading %s (context %q): %w", kubeconfig, context, err)
	}
	return cfg, nil
}

func newClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// waitFor polls cond every 100 ms until it holds, giving up after the timeout with what cond saw.
func (b *bench) waitFor(ctx context.Context, what string, cond func(context.Context) (bool, string)) error {
	return waitEvery(ctx, b.o.timeout, 100*time.Millisecond, what, cond)
}

func waitEvery(ctx context.Context, timeout, every time.Duration, what string, cond func(context.Context) (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, seen := cond(ctx)
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s waiting until %s (last seen: %s)", timeout, what, seen)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
		case <-time.After(every):
		}
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, raw, mode); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	return os.Rename(tmp, dst)
}
