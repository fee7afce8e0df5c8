package argocd_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/argocd"
	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// argoNamespace holds Argo CD's settings and Applications.
const argoNamespace = "argocd"

type components struct {
	run   argocd.Run
	procs []*supervise.Process
}

// start runs Redis, the repo server and the application controller outside the cluster, the
// controller with a token of its own service account (the suite's Argo CD identity, bound to
// cluster-admin as Argo CD's install binds it). Applications are compared with Git every 2 s and
// self-heal reverts at once, so a test sees in seconds what a cluster does in minutes.
func (a *components) Start(ctx context.Context, bin string) error {
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server is not on PATH (make test installs it with hack/redis.sh): %w", err)
	}
	dir, err := os.MkdirTemp("", "driftgate-argocd-")
	if err != nil {
		return err
	}
	ports, err := testutil.FreePorts(4)
	if err != nil {
		return err
	}
	a.run = argocd.Run{Bin: bin, Redis: redis, Dir: dir, Namespace: argoNamespace, Kubeconfig: filepath.Join(dir, "kubeconfig"),
		RedisPort: ports[0], RepoPort: ports[1], RepoMetricsPort: ports[2], ControllerMetricsPort: ports[3], Resync: 2 * time.Second}
	if err := suite.Cluster.WriteServiceAccountKubeconfig(testenv.ArgoCD, "", a.run.Kubeconfig); err != nil {
		return err
	}
	admin, err := client.New(suite.Cluster.Admin, client.Options{Scheme: suite.Cluster.Scheme})
	if err != nil {
		return err
	}
	if err := a.run.Prepare(ctx, admin); err != nil {
		return err
	}
	for _, c := range a.run.Components() {
		p, err := supervise.Start(supervise.Spec{Name: c.Name, Path: c.Path, Args: c.Args,
			Env: append(os.Environ(), c.Env...), Log: filepath.Join(dir, c.Name+".log")})
		if err != nil {
			return err
		}
		a.procs = append(a.procs, p)
		if err := p.WaitReady(ctx, 2*time.Minute, c.Ready); err != nil {
			return err
		}
	}
	return nil
}

// stop stops Argo CD and removes its directory.
func (a *components) Stop() {
	for i := len(a.procs) - 1; i >= 0; i-- {
		_ = a.procs[i].Stop(10 * time.Second)
	}
	if a.run.Dir != "" {
		a.run.Unlock()
		_ = os.RemoveAll(a.run.Dir)
	}
}

// log is the last lines of a component's log, for a failing test.
func (a *components) log(name string) string {
	return supervise.Tail(filepath.Join(a.run.Dir, name+".log"), 30)
}
