package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/driftgate/driftgate/internal/rbac"
	"github.com/driftgate/driftgate/internal/supervise"
)

// fluxNamespace is where Flux's controllers run and find their own objects (RUNTIME_NAMESPACE).
const fluxNamespace = "flux-system"

// startFlux runs Flux's source-controller and kustomize-controller (built by
// hack/flux.sh, in o.flux) against the cluster, each controller with its own service account's
// token: their writes reach driftgate with the identity a cluster gives them.
func startFlux(ctx context.Context, l layout, o *options, s *state, pk *clusterPKI, out io.Writer) error {
	admin, err := restConfig(l.kubeconfig())
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return fmt.Errorf("client for kube-apiserver: %w", err)
	}
	if err := fluxRBAC(ctx, cs); err != nil {
		return err
	}
	if err := os.MkdirAll(l.fluxStorage(), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", l.fluxStorage(), err)
	}
	for _, c := range []struct {
		name            string
		metrics, health int
		extra           []string
	}{
		{sourceName, s.Ports.SourceMetrics, s.Ports.SourceHealth, []string{
			"--storage-path=" + absPath(l.fluxStorage()),
			"--storage-addr=" + localAddr(s.Ports.SourceStorage),
			"--storage-adv-addr=" + localAddr(s.Ports.SourceStorage),
		}},
		{kustomizeName, s.Ports.KustomizeMetrics, s.Ports.KustomizeHealth, nil},
	} {
		sa := serviceAccount{namespace: fluxNamespace, name: c.name}
		token, err := serviceAccountToken(ctx, cs, sa)
		if err != nil {
			return err
		}
		if err := writeTokenKubeconfig(l.tokenKubeconfig(c.name), apiServerURL(s.Ports), pk.clusterCA.CertPEM(), sa.userName(), token); err != nil {
			return err
		}
		p, err := startController(ctx, l, o, c.name, c.metrics, c.health, c.extra)
		if err := record(l, s, p, err, out); err != nil {
			return err
		}
	}
	return nil
}

// startController runs one Flux controller outside a cluster and waits for its readiness.
func startController(ctx context.Context, l layout, o *options, name string, metrics, health int, extra []string) (*supervise.Process, error) {
	args := append([]string{
		"--enable-leader-election=false",
		"--metrics-addr=" + localAddr(metrics),
		"--health-addr=" + localAddr(health),
		"--log-level=info",
	}, extra...)
	p, err := startProcess(l, name, filepath.Join(o.flux, name), args,
		"KUBECONFIG="+absPath(l.tokenKubeconfig(name)), "RUNTIME_NAMESPACE="+fluxNamespace)
	if err != nil {
		return p, err
	}
	return p, p.WaitReady(ctx, o.timeout, supervise.AnswersOK(http.DefaultClient, "http://"+localAddr(health)+"/readyz"))
}

// fluxRBAC creates source-controller's service account (kustomize-controller's exists as a GitOps
// identity) and binds both to cluster-admin, as Flux's own install binds kustomize-controller
// (its cluster-reconciler binding); source-controller's narrower crd-controller role is a
// dev-cluster shortcut away.
func fluxRBAC(ctx context.Context, cs kubernetes.Interface) error {
	if err := createServiceAccounts(ctx, cs, []serviceAccount{{namespace: fluxNamespace, name: sourceName}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	b := rbac.Binding("dev-flux-cluster-reconciler", "cluster-admin",
		rbac.ServiceAccountSubject(fluxNamespace, sourceName), rbac.ServiceAccountSubject(fluxNamespace, kustomizeName))
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("binding Flux's controllers: %w", err)
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if err := os.WriteFile(dst, raw, mode); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
