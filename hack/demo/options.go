package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// options are the command line.
type options struct {
	dir       string        // the demo's state dir
	keep      bool          // leave the cluster up at the end
	assets    string        // directory of kube-apiserver and etcd
	kubectl   string        // the kubectl binary
	flux      string        // directory of Flux's controllers and their CRDs (hack/flux.sh)
	driftgate string        // the driftgate binary
	examples  string        // the example app's manifests
	timeout   time.Duration // how long each wait may take
}

// parseFlags reads the flags, with defaults from the environment; nil options mean --help.
func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.dir, "dir", envOr("DRIFTGATE_DEMO_DIR", ".driftgate/demo"), "state dir: the cluster, the Git repository, the report (env DRIFTGATE_DEMO_DIR)")
	fs.BoolVar(&o.keep, "keep", truthy(os.Getenv("KEEP")), "leave the cluster running at the end, and after a failure (env KEEP=1)")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory holding kube-apiserver and etcd (env KUBEBUILDER_ASSETS; hack/controlplane.sh prints it)")
	fs.StringVar(&o.kubectl, "kubectl", os.Getenv("KUBECTL"), "kubectl v1.37 (env KUBECTL; hack/kubectl.sh prints it)")
	fs.StringVar(&o.flux, "flux", os.Getenv("DRIFTGATE_FLUX"), "directory of Flux's source-controller, kustomize-controller and crds/ (env DRIFTGATE_FLUX; hack/flux.sh prints it)")
	fs.StringVar(&o.driftgate, "driftgate", "bin/driftgate", "the driftgate binary (make build)")
	fs.StringVar(&o.examples, "examples", "examples/checkout", "the example app's manifests")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long each wait may take")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return o, o.check()
}

// check says what is missing, and how to get it, before anything starts.
func (o *options) check() error {
	if o.assets == "" {
		return errors.New(`KUBEBUILDER_ASSETS is not set: run "make demo", or pass --assets "$(hack/controlplane.sh)"`)
	}
	if o.kubectl == "" {
		return errors.New(`KUBECTL is not set: run "make demo", or pass --kubectl "$(hack/kubectl.sh)"`)
	}
	if o.flux == "" {
		return errors.New(`DRIFTGATE_FLUX is not set: run "make demo", or pass --flux "$(hack/flux.sh)"`)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("git is not on PATH: the cluster's Git server runs git http-backend")
	}
	for _, need := range []struct{ path, how string }{
		{o.driftgate, `run "make build" (or pass --driftgate)`},
		{o.kubectl, "run hack/kubectl.sh, which builds it"},
		{filepath.Join(o.assets, "kube-apiserver"), "run hack/controlplane.sh, which builds it"},
		{filepath.Join(o.flux, "kustomize-controller"), "run hack/flux.sh, which builds it"},
		{o.examples, "run the demo from the repository root"},
		{filepath.Join("hack", "devcluster"), "run the demo from the repository root"},
	} {
		if _, err := os.Stat(need.path); err != nil {
			return fmt.Errorf("%s not found: %s", need.path, need.how)
		}
	}
	return nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func truthy(v string) bool {
	return slices.Contains([]string{"1", "true", "yes", "on"}, strings.ToLower(v))
}

// layout names the files in the state dir.
type layout struct{ dir string }

func (l layout) path(name string) string { return filepath.Join(l.dir, name) }

func (l layout) cluster() string    { return l.path("cluster") }   // hack/devcluster's state dir
func (l layout) repo() string       { return l.path("repo") }      // alice's clone of the repository Flux applies
func (l layout) flux() string       { return l.path("flux.yaml") } // the GitRepository and Kustomization
func (l layout) logs() string       { return l.path("logs") }      // the cluster's logs after a failure
func (l layout) kubeconfig() string { return filepath.Join(l.cluster(), "kubeconfig") }
func (l layout) report(ticket string) string {
	return l.path(ticket + ".html")
}

// served is the path of the bare repository name.git in the directory the cluster's Git server serves
// (hack/devcluster's repos/).
func (l layout) served(name string) string {
	return filepath.Join(l.cluster(), "repos", name+".git")
}

// made are the files and directories of an earlier run that a new run replaces; the cluster is
// stopped (and its directory removed) by hack/devcluster.
func (l layout) made(ticket string) []string {
	return []string{l.repo(), l.flux(), l.logs(), l.report(ticket)}
}
