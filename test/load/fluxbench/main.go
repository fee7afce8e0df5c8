// Command fluxbench measures driftgate beside the real Flux (issue 17, section 5) or the real Argo
// CD (issue 18, --gitops argocd) on a local dev cluster (hack/devcluster with --flux or --argocd):
// how many admission requests one reconcile (Flux) or sync (Argo CD) of the example app sends
// through driftgate, its duration with driftgate's webhook registered and with it removed (the
// same run, interleaved), and, for Flux, the time from a Git push that backports a break-glass
// edit to that edit becoming Backported. `make bench-flux` and `make bench-argocd` run it; it is
// not a test.
//
//	bin/fluxbench --assets "$(hack/controlplane.sh)" --flux "$(hack/flux.sh)" --reconciles 10
//	bin/fluxbench --assets "$(hack/controlplane.sh)" --gitops argocd --argocd "$(hack/argocd.sh)" --reconciles 10
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
// With --gitops argocd it starts the cluster with Argo CD instead, creates an Application for the
// same directory (manual sync policy: only the syncs it requests run) and requests each sync as
// `argocd app sync` does, by setting the Application's operation (argocd.go); --sync-options
// (e.g. ServerSideApply=true) go into the Application and every operation, and --change makes
// every measured sync move between two commits that differ in two objects.
//
// docs/performance.md ("Flux beside driftgate", "Argo CD beside driftgate") explains what each
// number is and what it is not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/driftgate/driftgate/test/benchkit"
)

type options struct {
	dir         string
	assets      string
	gitops      string // "flux" or "argocd"
	flux        string
	argocd      string
	syncOptions []string // Argo CD: the Application's syncOptions, copied into each operation
	change      bool     // Argo CD: every measured sync moves between two commits
	driftgate   string
	devcluster  string
	examples    string
	reconciles  int
	warmup      int
	settle      time.Duration
	backports   int
	gsInterval  time.Duration
	role        string
	keep        bool
	timeout     time.Duration
	report      string
	// issue 22: writes of GitOps-owned Deployments at these rates (none when empty)
	writes        []int
	writeWindows  int
	writeDuration time.Duration
	writeWarmup   time.Duration
}

func main() {
	ctrllog.SetLogger(logr.Discard()) // controller-runtime's client logs nothing fluxbench needs
	benchkit.Main("fluxbench", run)
}

func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fluxbench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.dir, "dir", envOr("FLUXBENCH_DIR", ".driftgate/fluxbench"), "state dir: the cluster (cluster/), the Git clone, results.json (env FLUXBENCH_DIR)")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory of kube-apiserver and etcd (env KUBEBUILDER_ASSETS; hack/controlplane.sh prints it)")
	fs.StringVar(&o.gitops, "gitops", "flux", "the GitOps controller beside driftgate: flux or argocd")
	fs.StringVar(&o.flux, "flux", os.Getenv("DRIFTGATE_FLUX"), "directory of Flux's controllers and crds/ (env DRIFTGATE_FLUX; hack/flux.sh prints it)")
	fs.StringVar(&o.argocd, "argocd", os.Getenv("DRIFTGATE_ARGOCD"), "with --gitops argocd: directory of Argo CD's binary and crds/ (env DRIFTGATE_ARGOCD; hack/argocd.sh prints it; needs redis-server)")
	syncOptions := fs.String("sync-options", "", "with --gitops argocd: the Application's syncOptions, comma-separated (e.g. ServerSideApply=true); each sync operation carries them, as `argocd app sync` does")
	fs.BoolVar(&o.change, "change", false, "with --gitops argocd: every measured sync applies a change (alternately one of two commits that differ in the ConfigMap and the Deployment's image) instead of re-syncing the same commit")
	fs.StringVar(&o.driftgate, "driftgate", "bin/driftgate", "the driftgate binary (make build); copied into --dir before use")
	fs.StringVar(&o.devcluster, "devcluster", "bin/devcluster", "the devcluster binary (hack/build.sh bin/devcluster ./hack/devcluster); copied into --dir before use")
	fs.StringVar(&o.examples, "examples", "examples/checkout", "the app Flux or Argo CD applies")
	fs.IntVar(&o.reconciles, "reconciles", 10, "measured reconciles (Argo CD: syncs) per arm (webhook on, webhook off)")
	fs.IntVar(&o.warmup, "warmup", 2, "reconciles (syncs) before measuring, not counted (webhook on)")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "pause before each measured reconcile (sync), after any switch of the webhook")
	fs.IntVar(&o.backports, "backports", 5, "push -> Backported measurements (0: none; Flux only, 0 with --gitops argocd)")
	fs.DurationVar(&o.gsInterval, "gitsource-interval", 10*time.Second, "the GitSource's interval: how often driftgate's audit fetches Git")
	fs.StringVar(&o.role, "registrar-role", "driftgate", "driftgate's ClusterRole; while the webhook is off its create/update/patch of webhook configurations is taken away so that the Registrar cannot restore it")
	fs.BoolVar(&o.keep, "keep", false, "leave the cluster running")
	fs.DurationVar(&o.timeout, "timeout", 90*time.Second, "how long each wait may take")
	fs.StringVar(&o.report, "report", "", "print the tables of an earlier run's results.json and exit (no cluster)")
	writes := fs.String("writes", "", "after the reconciles, writes of GitOps-owned Deployments at these rates, writes/s, comma-separated (alice under a grant and Flux's identity, updates and server-side applies in turn), with the webhook on and off (issue 22); empty: none")
	fs.IntVar(&o.writeWindows, "write-windows", 2, "with --writes: windows per arm and rate, ABBA order")
	fs.DurationVar(&o.writeDuration, "write-duration", 15*time.Second, "with --writes: the length of a window")
	fs.DurationVar(&o.writeWarmup, "write-warmup", 5*time.Second, "with --writes: writes at the first rate, webhook on, before the windows; not counted")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	for _, opt := range strings.Split(*syncOptions, ",") {
		if opt = strings.TrimSpace(opt); opt != "" {
			o.syncOptions = append(o.syncOptions, opt)
		}
	}
	if o.report != "" {
		return o, nil
	}
	var err error
	if o.writes, err = benchkit.Rates("writes", *writes); err != nil {
		return nil, err
	}
	if len(o.writes) > 0 && (o.writeWindows < 1 || o.writeDuration <= 0) {
		return nil, errors.New("--write-windows and --write-duration must be positive")
	}
	if o.reconciles < 1 {
		return nil, errors.New("--reconciles must be at least 1")
	}
	var need string // the GitOps controller's binary
	switch o.gitops {
	case gitopsFlux:
		if o.assets == "" || o.flux == "" {
			return nil, errors.New(`need --assets "$(hack/controlplane.sh)" and --flux "$(hack/flux.sh)" (or run make bench-flux)`)
		}
		if len(o.syncOptions) > 0 || o.change {
			return nil, errors.New("--sync-options and --change are for --gitops argocd")
		}
		need = filepath.Join(o.flux, "kustomize-controller")
	case gitopsArgoCD:
		if o.assets == "" || o.argocd == "" {
			return nil, errors.New(`need --assets "$(hack/controlplane.sh)" and --argocd "$(hack/argocd.sh)" (or run make bench-argocd)`)
		}
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "backports" })
		if explicit && o.backports > 0 {
			return nil, errors.New("--backports is measured with Flux only")
		}
		o.backports = 0
		need = filepath.Join(o.argocd, "argocd-application-controller")
	default:
		return nil, fmt.Errorf("--gitops %q: want flux or argocd", o.gitops)
	}
	for _, p := range []string{o.driftgate, o.devcluster, o.examples, need} {
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
	if err != nil {
		return err // flag.ErrHelp included: benchkit.Main exits 0 on it
	}
	if o.report != "" {
		return reprint(o.report, out)
	}
	b := &bench{o: o, out: out}
	res := &results{Started: time.Now().UTC(), GitOps: o.gitops, SyncOptions: o.syncOptions, Change: o.change}
	b.res = res
	res.Machine = machineFacts(o)
	res.Machine.Print(out)

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
	if len(o.writes) > 0 {
		if err := b.measureWrites(ctx); err != nil {
			return err
		}
	}
	if o.backports > 0 {
		if err := b.measureBackports(ctx); err != nil {
			return err
		}
	}
	res.Finished = time.Now().UTC()
	res.Machine.LoadEnd = benchkit.LoadAvg()
	printResults(out, res)
	return writeResults(filepath.Join(o.dir, "results.json"), res, out)
}
