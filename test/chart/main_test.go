// Package chart_test tests the Helm chart in charts/driftgate with the real helm CLI and a real
// API server: the chart lints and renders with the default values and with the value sets in
// testdata; the default render matches testdata/default.golden.yaml (-update rewrites it); every
// rendered object passes a server-side-apply dry run against envtest, the chart's CRDs and the
// real ServiceMonitor and cert-manager CRDs installed (testdata/crds); the rendered Deployment,
// RBAC and driftgate.yaml say what the values say; and the rendered webhook registration is the
// one driftgate itself makes from that driftgate.yaml (webhook.Configuration).
//
// helm is $HELM, else the binary hack/helm.sh builds and caches. The API server is
// $KUBEBUILDER_ASSETS, else what hack/controlplane.sh builds and caches.
package chart_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

var update = flag.Bool("update", false, "rewrite testdata/default.golden.yaml from the current render")

// Set by TestMain.
var (
	helmBin  string
	helmHome string
	apiCfg   *rest.Config
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	stop, err := setup()
	defer stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/chart:", err)
		return 1
	}
	return m.Run()
}

// setup finds helm and starts the API server; stop undoes what it did, even on error.
func setup() (stop func(), err error) {
	stop = func() {}
	if helmBin, err = tool("HELM", "hack/helm.sh"); err != nil {
		return stop, err
	}
	if helmHome, err = os.MkdirTemp("", "driftgate-chart-helm-"); err != nil {
		return stop, err
	}
	stop = func() { _ = os.RemoveAll(helmHome) }
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		assets, err := tool("", "hack/controlplane.sh")
		if err != nil {
			return stop, err
		}
		_ = os.Setenv("KUBEBUILDER_ASSETS", assets)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{
			filepath.Join(repoRoot(), "charts", "driftgate", "crds"),
			filepath.Join(repoRoot(), "test", "chart", "testdata", "crds"),
		},
		ErrorIfCRDPathMissing: true,
	}
	if apiCfg, err = env.Start(); err != nil {
		return stop, fmt.Errorf("starting envtest: %w", err)
	}
	removeHome := stop
	return func() { _ = env.Stop(); removeHome() }, nil
}

// tool is $envVar when set, else the path the repository script prints on stdout (it builds
// and caches the binary; its logs go to stderr).
func tool(envVar, script string) (string, error) {
	if v := os.Getenv(envVar); envVar != "" && v != "" {
		return v, nil
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot(), script))
	cmd.Dir = repoRoot()
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
