// Command devcluster runs a local Kubernetes control plane with driftgate in it, without Docker:
// etcd and kube-apiserver (the binaries hack/controlplane.sh builds for the tests) and
// `driftgate serve`, each a background process of its own session that outlives the command.
//
//	go run ./hack/devcluster up      # start everything, install driftgate, print what to try
//	go run ./hack/devcluster status  # say what runs
//	go run ./hack/devcluster down    # stop everything by process id, remove the state dir
//
// `make dev-up` and `make dev-down` run it. State (certificates, kubeconfigs, logs, pid files,
// state.json with the ports) lives in --dir, .driftgate/dev by default. docs/operations.md
// ("Local cluster") describes what it creates.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	dir       string // state dir
	assets    string // directory of kube-apiserver and etcd
	driftgate string // the driftgate binary
	crds      string // directory of driftgate's CRDs
	flux      string // directory of the Flux controllers and their CRDs (hack/flux.sh); empty: no Flux
	argocd    string // directory of Argo CD and its CRDs (hack/argocd.sh); empty: no Argo CD
	timeout   time.Duration
	grace     time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devcluster: "+err.Error())
		os.Exit(1)
	}
}

// run parses args (a verb, then flags) and runs the verb, writing what it did to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || slices.Contains([]string{"-h", "-help", "--help", "help"}, args[0]) {
		fmt.Fprintln(out, "usage: devcluster up|down|status [flags]; devcluster up --help lists the flags")
		if len(args) == 0 {
			return errors.New("no verb given")
		}
		return nil
	}
	verb := args[0]
	if verb == gitServeVerb { // the Git server up starts with --flux: not for people
		return gitServe(ctx, args[1:])
	}
	o, err := parseFlags(verb, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	switch verb {
	case "up":
		return up(ctx, o, out)
	case "down":
		return down(o, out)
	case "status":
		return status(o, out)
	default:
		return fmt.Errorf("unknown verb %q: want up, down or status", verb)
	}
}

func parseFlags(verb string, args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("devcluster "+verb, flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", envOr("DRIFTGATE_DEV_DIR", ".driftgate/dev"), "state dir (env DRIFTGATE_DEV_DIR)")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory holding kube-apiserver and etcd (env KUBEBUILDER_ASSETS; hack/controlplane.sh prints it)")
	fs.StringVar(&o.driftgate, "driftgate", "bin/driftgate", "the driftgate binary (make build)")
	fs.StringVar(&o.crds, "crds", "charts/driftgate/crds", "directory of driftgate's CRDs")
	fs.StringVar(&o.flux, "flux", "", "directory of Flux's source-controller and kustomize-controller and their crds/ (hack/flux.sh prints it); empty: no Flux")
	fs.StringVar(&o.argocd, "argocd", "", "directory of Argo CD's binary and crds/ (hack/argocd.sh prints it); empty: no Argo CD (needs redis-server: hack/redis.sh)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long each component may take to become ready")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "how long down waits after SIGTERM before SIGKILL")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return o, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
