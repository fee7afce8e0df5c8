package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// plane is the real kube-apiserver and etcd the envtest tests of this package share. It starts
// on first use, so the unit tests and benchmarks run without one.
var plane controlPlane

func TestMain(m *testing.M) {
	code := m.Run()
	if err := plane.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

type controlPlane struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	err  error
}

func (p *controlPlane) start() {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		p.err = errors.New("KUBEBUILDER_ASSETS is not set: run `KUBEBUILDER_ASSETS=$(hack/controlplane.sh) go test ./audit/live/` (or `make test`)")
		return
	}
	p.env = &envtest.Environment{}
	cfg, err := p.env.Start()
	if err != nil {
		p.err = fmt.Errorf("starting envtest: %w", err)
		return
	}
	p.cfg = cfg
}

func (p *controlPlane) stop() error {
	if p.cfg == nil {
		return nil
	}
	return p.env.Stop()
}

// clusterConfig starts the control plane if needed and returns its admin config.
func clusterConfig(t *testing.T) *rest.Config {
	t.Helper()
	plane.once.Do(plane.start)
	if plane.err != nil {
		t.Fatal(plane.err)
	}
	return rest.CopyConfig(plane.cfg)
}

// clients are the clients of one identity.
type clients struct {
	dynamic dynamic.Interface
	typed   kubernetes.Interface
	reader  Reader
}

func newClients(t *testing.T, cfg *rest.Config) clients {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	typed, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	return clients{dynamic: dyn, typed: typed, reader: Reader{Client: dyn, Mapper: mapper}}
}

// admin returns the admin's clients.
func admin(t *testing.T) clients {
	t.Helper()
	return newClients(t, clusterConfig(t))
}

// newNamespace creates a fresh namespace for one test, deleted when it ends.
func newNamespace(t *testing.T, c clients) string {
	t.Helper()
	ns, err := c.typed.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "live-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	t.Cleanup(func() {
		_ = c.typed.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}

// eventually polls cond until it holds or a generous deadline passes; what says what was awaited.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
