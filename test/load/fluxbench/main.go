// Command fluxbench measures driftgate beside the real Flux (issue 17, section 5) on a local dev
// cluster (hack/devcluster with --flux): how many admission requests one reconcile of the example
// app sends through driftgate, the reconcile's duration with driftgate's webhook registered and
// with it removed (the same run, interleaved), and the time from a Git push that backports a
// break-glass edit to that edit becoming Backported. `make bench-flux` runs it; it is not a test.
//
//	bin/fluxbench --assets "$(hack/controlplane.sh)" --flux "$(hack/flux.sh)" --reconciles 10
//
// It starts its own cluster in --dir/cluster (stopped at the end unless --keep), pushes
// examples/checkout to the cluster's Git server, creates a GitRepository and a Kustomization
// (interval 1h: only the reconciles it requests run) and a GitSource for driftgate's audit, then:
//
//  1. reconciles the Kustomization --reconciles times with the webhook registered ("on") and as
//     many times with it removed ("off"), in ABBA order (on off off on on off ...), each reconcile
//     requested as `flux reconcile kustomization` does (reconcile.fluxcd.io/requestedAt);
//  2. grants alice break-glass access (bob approves), has her change the Deployment's image, pushes
//     the same image to Git and times push -> Backported, --backports times.
//
// docs/performance.md ("Flux beside driftgate") explains what each number is and what it is not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

type options struct {
	dir        string
	assets     string
	flux       string
	driftgate  string
	devcluster string
	examples   string
	reconciles int
	warmup     int
	settle     time.Duration
	backports  int
	gsInterval time.Duration
	role       string
	keep       bool
	timeout    time.Duration
	report     string
}

func main() {
	ctrllog.SetLogger(logr.Discard()) // controller-runtime's client logs nothing fluxbench needs
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fluxbench: "+err.Error())
		os.Exit(1)
	}
}

func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fluxbench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.dir, "dir", envOr("FLUXBENCH_DIR", ".driftgate/fluxbench"), "state dir: the cluster (cluster/), the Git clone, results.json (env FLUXBENCH_DIR)")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory of kube-apiserver and etcd (env KUBEBUILDER_ASSETS; hack/controlplane.sh prints it)")
	fs.StringVar(&o.flux, "flux", os.Getenv("DRIFTGATE_FLUX"), "directory of Flux's controllers and crds/ (env DRIFTGATE_FLUX; hack/flux.sh prints it)")
	fs.StringVar(&o.driftgate, "driftgate", "bin/driftgate", "the driftgate binary (make build); copied into --dir before use")
	fs.StringVar(&o.devcluster, "devcluster", "bin/devcluster", "the devcluster binary (hack/build.sh bin/devcluster ./hack/devcluster); copied into --dir before use")
	fs.StringVar(&o.examples, "examples", "examples/checkout", "the app Flux applies")
	fs.IntVar(&o.reconciles, "reconciles", 10, "measured reconciles per arm (webhook on, webhook off)")
	fs.IntVar(&o.warmup, "warmup", 2, "reconciles before measuring, not counted (webhook on)")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "pause before each measured reconcile, after any switch of the webhook")
	fs.IntVar(&o.backports, "backports", 5, "push -> Backported measurements (0: none)")
	fs.DurationVar(&o.gsInterval, "gitsource-interval", 10*time.Second, "the GitSource's interval: how often driftgate's audit fetches Git")
	fs.StringVar(&o.role, "registrar-role", "driftgate", "driftgate's ClusterRole; while the webhook is off its create/update/patch of webhook configurations is taken away so that the Registrar cannot restore it")
	fs.BoolVar(&o.keep, "keep", false, "leave the cluster running")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "how long each wait may take")
	fs.StringVar(&o.report, "report", "", "print the tables of an earlier run's results.json and exit (no cluster)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.report != "" {
		return o, nil
	}
	if o.assets == "" || o.flux == "" {
		return nil, errors.New(`need --assets "$(hack/controlplane.sh)" and --flux "$(hack/flux.sh)" (or run make bench-flux)`)
	}
	if o.reconciles < 1 {
		return nil, errors.New("--reconciles must be at least 1")
	}
	for _, p := range []string{o.driftgate, o.devcluster, o.examples, filepath.Join(o.flux, "kustomize-controller")} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return o, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.report != "" {
		return reprint(o.report, out)
	}
	b := &bench{o: o, out: out}
	res := &results{Started: time.Now().UTC()}
	b.res = res
	res.Machine = machineFacts(o)
	printMachine(out, res.Machine)

	if err := b.startCluster(ctx); err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(out, "\ncluster left running (--keep): KUBECONFIG=%s; stop: %s down --dir %s\n",
				b.kubeconfig(), b.devclusterBin(), b.clusterDir())
			return
		}
		if err := b.stopCluster(); err != nil {
			fmt.Fprintln(os.Stderr, "fluxbench: stopping the cluster: "+err.Error())
		}
	}()
	if err := b.setup(ctx); err != nil {
		return err
	}
	if err := b.measureReconciles(ctx); err != nil {
		return err
	}
	if o.backports > 0 {
		if err := b.measureBackports(ctx); err != nil {
			return err
		}
	}
	res.Finished = time.Now().UTC()
	res.Machine.LoadEnd = loadAvg()
	printResults(out, res)
	return writeResults(filepath.Join(o.dir, "results.json"), res, out)
}
