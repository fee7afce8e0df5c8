package flux_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// fluxNamespace is where the controllers run and look for their own objects.
const fluxNamespace = "flux-system"

type controllers struct {
	dir   string // logs, kubeconfigs, the artifact storage
	procs []*supervise.Process
}

// start runs source-controller and kustomize-controller outside the cluster, each with a token
// of its own service account (kustomize-controller's is the suite's GitOps identity, bound to
// cluster-admin as Flux's install binds it; source-controller's gets the same here).
func (f *controllers) Start(ctx context.Context, bin string) error {
	var err error
	if f.dir, err = os.MkdirTemp("", "driftgate-flux-"); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(f.dir, "artifacts"), 0o700); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(suite.Cluster.Admin)
	if err != nil {
		return err
	}
	if _, err := cs.CoreV1().ServiceAccounts(fluxNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "source-controller"}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	b := testenv.Binding("test-flux-source-controller", "cluster-admin", testenv.ServiceAccountSubject(fluxNamespace, "source-controller"))
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil {
		return err
	}
	ports, err := testutil.FreePorts(5)
	if err != nil {
		return err
	}
	storage := fmt.Sprintf("127.0.0.1:%d", ports[4])
	for i, c := range []struct {
		name  string
		extra []string
	}{
		{"source-controller", []string{"--storage-path=" + filepath.Join(f.dir, "artifacts"), "--storage-addr=" + storage, "--storage-adv-addr=" + storage}},
		{"kustomize-controller", nil},
	} {
		kubeconfig, err := f.tokenKubeconfig(ctx, cs, c.name)
		if err != nil {
			return err
		}
		health := fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])
		p, err := supervise.Start(supervise.Spec{
			Name: c.name, Path: filepath.Join(bin, c.name), Log: filepath.Join(f.dir, c.name+".log"),
			Args: append([]string{"--enable-leader-election=false", "--metrics-addr=127.0.0.1:" + strconv.Itoa(ports[2*i]),
				"--health-addr=" + health}, c.extra...),
			Env: append(os.Environ(), "KUBECONFIG="+kubeconfig, "RUNTIME_NAMESPACE="+fluxNamespace),
		})
		if err != nil {
			return err
		}
		f.procs = append(f.procs, p)
		if err := p.WaitReady(ctx, 2*time.Minute, supervise.AnswersOK(http.DefaultClient, "http://"+health+"/readyz")); err != nil {
			return err
		}
	}
	return nil
}

// stop stops the controllers and removes their directory.
func (f *controllers) Stop() {
	for _, p := range f.procs {
		_ = p.Stop(10 * time.Second)
	}
	if f.dir != "" {
		_ = os.RemoveAll(f.dir)
	}
}

// log is the last lines of a controller's log, for a failing test.
func (f *controllers) log(name string) string {
	return supervise.Tail(filepath.Join(f.dir, name+".log"), 30)
}

// tokenKubeconfig writes a kubeconfig with a fresh token of the service account name.
func (f *controllers) tokenKubeconfig(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	tr, err := cs.CoreV1().ServiceAccounts(fluxNamespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("a token for %s: %w", name, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: suite.Cluster.Admin.Host, CertificateAuthorityData: suite.Cluster.Admin.CAData}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: name}
	cfg.CurrentContext = "envtest"
	path := filepath.Join(f.dir, name+".kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}
