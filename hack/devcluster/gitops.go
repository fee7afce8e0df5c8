package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/argocd"
)

// argoNamespace holds Argo CD's settings and Applications.
const argoNamespace = "argocd"

// startGitServer runs the Git server the GitOps controllers fetch from. It is this program
// (git-serve), run from a copy in the state dir: a rebuild of bin/devcluster must not find its
// binary busy.
func startGitServer(l layout, s *state, out io.Writer) error {
	if err := os.MkdirAll(l.gitRoot(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", l.gitRoot(), err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating devcluster for the Git server: %w", err)
	}
	serverBin := l.path("git-server")
	if err := copyFile(self, serverBin, 0o755); err != nil {
		return err
	}
	git, err := startProcess(l, gitServerName, serverBin, []string{gitServeVerb, l.gitRoot(), localAddr(s.Ports.GitServer)})
	return record(l, s, git, err, out)
}

// startArgoCD runs Redis and Argo CD's repo server and application controller (built by
// hack/argocd.sh, in o.argocd) against the cluster, the controller with its own service
// account's token (a GitOps identity, bound to cluster-admin as Argo CD's install binds it).
// Applications are compared with Git every 10 s and self-heal reverts at once.
func startArgoCD(ctx context.Context, l layout, o *options, s *state, pk *clusterPKI, out io.Writer) error {
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server is not on PATH (hack/redis.sh installs it): %w", err)
	}
	admin, err := restConfig(l.kubeconfig())
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return fmt.Errorf("client for kube-apiserver: %w", err)
	}
	run := argocd.Run{Bin: absPath(o.argocd), Redis: redis, Dir: absPath(l.argoDir()), Namespace: argoNamespace,
		Kubeconfig: absPath(l.tokenKubeconfig(argocd.ApplicationController)), RedisPort: s.Ports.Redis, RepoPort: s.Ports.ArgoRepo,
		RepoMetricsPort: s.Ports.ArgoRepoMetrics, ControllerMetricsPort: s.Ports.ArgoControllerMetrics, Resync: 10 * time.Second}
	sa := serviceAccount{namespace: argoNamespace, name: argocd.ApplicationController}
	token, err := serviceAccountToken(ctx, cs, sa)
	if err != nil {
		return err
	}
	if err := writeTokenKubeconfig(run.Kubeconfig, apiServerURL(s.Ports), pk.clusterCA.CertPEM(), sa.userName(), token); err != nil {
		return err
	}
	c, err := client.New(admin, client.Options{})
	if err != nil {
		return fmt.Errorf("client for kube-apiserver: %w", err)
	}
	if err := run.Prepare(ctx, c); err != nil {
		return err
	}
	for _, comp := range run.Components() {
		p, err := startProcess(l, comp.Name, comp.Path, comp.Args, comp.Env...)
		if err := record(l, s, p, err, out); err != nil {
			return err
		}
		if err := p.WaitReady(ctx, o.timeout, comp.Ready); err != nil {
			return err
		}
	}
	return nil
}
