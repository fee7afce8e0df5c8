package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/driftgate/driftgate/api/v1alpha1"

	"github.com/driftgate/driftgate/internal/testutil"
)

// TestUpDown brings a cluster up in a temporary state dir, checks that driftgate guards it,
// that a second up starts nothing, and that down stops everything and then has nothing to do.
func TestUpDown(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
	}
	root := repoRoot()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "dev")
	flags := []string{"--dir", dir, "--assets", assets, "--driftgate", testutil.MustBuildDriftgate(t, tmp),
		"--crds", filepath.Join(root, "charts", "driftgate", "crds")}
	t.Cleanup(func() { _, _ = devcluster(context.Background(), "down", flags) })

	mustRun(t, "up", flags, "driftgate's local cluster is up")
	admin, err := restConfig(filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	checkCRDs(t, admin)
	checkDenied(t, admin, filepath.Join(dir, "kubeconfig"))

	before := pids(t, dir)
	mustRun(t, "up", flags, "already running")
	if after := pids(t, dir); !slices.Equal(before, after) {
		t.Fatalf("second up changed the processes: %v, then %v", before, after)
	}

	mustRun(t, "down", flags, "removed "+dir)
	for _, p := range before {
		if alive(p) {
			t.Errorf("%s (pid %d) still runs after down", p.Name, p.PID)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("down left %s: %v", dir, err)
	}
	mustRun(t, "down", flags, "nothing to stop")
}

// checkCRDs: the API server answers the admin's kubeconfig and serves driftgate's resources.
func checkCRDs(t *testing.T, admin *rest.Config) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(admin)
	list, err := cs.Discovery().ServerResourcesForGroupVersion(v1alpha1.GroupVersion.String())
	if err != nil {
		t.Fatalf("driftgate's CRDs are not served: %v", err)
	}
	var names []string
	for _, r := range list.APIResources {
		names = append(names, r.Name)
	}
	for _, want := range []string{"breakglassgrants", "breakglassedits"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s is not served; %s serves %v", want, v1alpha1.GroupVersion, names)
		}
	}
}

// checkDenied: Flux (its token, the kubeconfig's flux context) creates an owned ConfigMap; the
// admin wearing Flux's name with impersonation, and alice, are refused by driftgate.
func checkDenied(t *testing.T, admin *rest.Config, kubeconfig string) {
	t.Helper()
	ctx := context.Background()
	raw, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	fluxCfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, fluxContext, nil, nil).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	flux := kubernetes.NewForConfigOrDie(fluxCfg)
	if _, err := impersonate(admin, "system:serviceaccount:flux-system:kustomize-controller").CoreV1().ConfigMaps(demoNamespace).Create(ctx,
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: demoNamespace, Name: "worn", Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "x"}}},
		metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "impersonated") {
		t.Fatalf("the admin wearing Flux's name with --as: got %v, want driftgate's denial of a person", err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: demoNamespace, Name: "app", Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "x"}},
		Data:       map[string]string{"color": "blue"},
	}
	if _, err := flux.CoreV1().ConfigMaps(demoNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("Flux could not create an owned ConfigMap: %v", err)
	}
	cm.Data["color"] = "red"
	_, err = impersonate(admin, "alice", oncallGroup).CoreV1().ConfigMaps(demoNamespace).Update(ctx, cm, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), `admission webhook "validate.driftgate.io" denied the request`) ||
		!strings.Contains(err.Error(), "alice is not a GitOps identity") {
		t.Fatalf("alice's update of a Flux-owned ConfigMap: got %v, want driftgate's denial", err)
	}
}

func impersonate(admin *rest.Config, user string, groups ...string) kubernetes.Interface {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string{"system:authenticated"}, groups...)}
	return kubernetes.NewForConfigOrDie(cfg)
}

// mustRun runs a verb, fails the test on error, and checks that its output has want.
func mustRun(t *testing.T, verb string, flags []string, want string) {
	t.Helper()
	out, err := devcluster(context.Background(), verb, flags)
	if err != nil {
		t.Fatalf("%s: %v\n%s", verb, err, out)
	}
	if !strings.Contains(out, want) {
		t.Fatalf("%s said:\n%s\nwant %q in it", verb, out, want)
	}
}

func devcluster(ctx context.Context, verb string, flags []string) (string, error) {
	var out bytes.Buffer
	err := run(ctx, append([]string{verb}, flags...), &out)
	return out.String(), err
}

// pids are the live recorded processes.
func pids(t *testing.T, dir string) []process {
	t.Helper()
	live, err := liveProcesses(layout{dir})
	if err != nil {
		t.Fatal(err)
	}
	procs, err := layout{dir}.recorded()
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != len(procs) || len(live) < 3 {
		t.Fatalf("running: %v, want all of %v", live, procs)
	}
	return live
}

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
