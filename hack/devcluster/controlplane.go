package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"

	"github.com/driftgate/driftgate/internal/supervise"
)

// serviceIPRange is the (unused: nothing runs pods) service network kube-apiserver requires.
const serviceIPRange = "10.0.0.0/24"

// startEtcd runs a single-member etcd on loopback, without fsync (a dev cluster).
func startEtcd(l layout, o *options, p ports) (*supervise.Process, error) {
	client := "http://" + localAddr(p.EtcdClient)
	peer := "http://" + localAddr(p.EtcdPeer)
	return startProcess(l, etcdName, filepath.Join(o.assets, "etcd"), []string{
		"--name=" + clusterName,
		"--data-dir=" + l.etcdData(),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + clusterName + "=" + peer,
		"--unsafe-no-fsync=true",
	})
}

// startAPIServer runs kube-apiserver on loopback with TLS, client-certificate and service
// account token authentication, and Node+RBAC authorization. The ServiceAccount admission plugin
// is off, as in envtest: no controller manager creates the default service accounts.
func startAPIServer(l layout, o *options, p ports) (*supervise.Process, error) {
	pki := func(name string) string { return filepath.Join(l.pki(), name) }
	return startProcess(l, apiserverName, filepath.Join(o.assets, "kube-apiserver"), []string{
		"--etcd-servers=http://" + localAddr(p.EtcdClient),
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", p.APIServer),
		"--cert-dir=" + l.pki(),
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-cluster-ip-range=" + serviceIPRange,
		"--authorization-mode=Node,RBAC",
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
	})
}

func apiServerURL(p ports) string { return "https://" + localAddr(p.APIServer) }

// waitEtcd waits for etcd's /health.
func waitEtcd(ctx context.Context, o *options, proc *supervise.Process, p ports) error {
	url := "http://" + localAddr(p.EtcdClient) + "/health"
	return proc.WaitReady(ctx, o.timeout, supervise.AnswersOK(http.DefaultClient, url))
}

// waitAPIServer waits for kube-apiserver's /readyz, asked as the admin.
func waitAPIServer(ctx context.Context, o *options, proc *supervise.Process, cfg *rest.Config) error {
	c, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return fmt.Errorf("client for kube-apiserver: %w", err)
	}
	return proc.WaitReady(ctx, o.timeout, supervise.AnswersOK(c, cfg.Host+"/readyz"))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }
