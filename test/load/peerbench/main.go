// Command peerbench measures driftgate beside what a user would pick instead (issue 22, section
// 1): Gatekeeper doing the same job with a ConstraintTemplate (gatekeeper-template.yaml and
// gatekeeper-constraint.yaml here, benchmark data), and the floor, a no-op webhook on the same
// HTTP/1.1 server and TLS as driftgate's, answering allowed without decoding. `make bench-peers`
// runs it; it is not a test.
//
//	bin/peerbench --assets "$(hack/controlplane.sh)" --gatekeeper "$(hack/gatekeeper.sh)" --load bin/load
//
// It starts a control plane (envtest's etcd and kube-apiserver), installs Gatekeeper's CRDs
// (from its module's deploy/gatekeeper.yaml), runs Gatekeeper outside a cluster (operations
// webhook, generate and status), installs the template and the constraint with --grants grants,
// and runs the load tool's webhook server twice: with driftgate's handler and the same grants
// (GOGC --gogc, the chart's), and as the floor (--noop). Before measuring it checks that
// driftgate and Gatekeeper decide alike: a person with a grant allowed, one without denied,
// Flux's identity allowed, a marker strip denied. Then, --rounds times, each server gets the same
// traffic (those three writers in turn, the load tool's 14 KB Deployment UPDATE, open-loop over
// --connections keep-alive connections) at each of --rates, the servers' order rotating, and a
// saturation search (the highest rate with no error and p99 from schedule within --sustain-p99). It reports latency from schedule (p50, p99, p99.9), errors, each server
// process's CPU seconds per 1,000 requests, min / median / max over the rounds, the ratios, and
// ends with two lines:
//
//	driftgate/gatekeeper p99 at 500 req/s: R1
//	driftgate/floor p99 at 1000 req/s: R2
//
// Every run goes to --dir/results.json; --report reprints an earlier one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/test/benchkit"
)

type options struct {
	dir         string
	assets      string
	gatekeeper  string
	load        string
	rates       []int
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	pause       time.Duration
	grants      int
	connections int
	gogc        string
	maxBehind   time.Duration
	saturation  bool
	probe       time.Duration
	probeWarmup time.Duration
	sustainP99  time.Duration
	minRate     int
	maxRate     int
	timeout     time.Duration
	report      string
}

func main() {
	ctrllog.SetLogger(logr.Discard()) // envtest's and controller-runtime's clients log nothing peerbench needs
	benchkit.Main("peerbench", run)
}

func parseFlags(args []string, out io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("peerbench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.dir, "dir", ".driftgate/peerbench", "state dir: logs, certificates, results.json")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "directory of kube-apiserver and etcd (env KUBEBUILDER_ASSETS; hack/controlplane.sh prints it)")
	fs.StringVar(&o.gatekeeper, "gatekeeper", os.Getenv("DRIFTGATE_GATEKEEPER"), "directory of Gatekeeper's binary (manager) and crds/ (env DRIFTGATE_GATEKEEPER; hack/gatekeeper.sh prints it)")
	fs.StringVar(&o.load, "load", "bin/load", "the load tool (go build -o bin/load ./test/load): serves driftgate's handler and the floor")
	rates := fs.String("rates", "50,100,250,500,1000,2000", "fixed rates, req/s, comma-separated (issue 22's four, and 50 and 100: Gatekeeper with 1,000 grants sustains about 80 on 2 cores, and the goal compares p99 where it sustains)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds: each runs every server at every rate, then the saturation search")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time of a fixed-rate run")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up at the same rate before each run")
	fs.DurationVar(&o.pause, "pause", time.Second, "pause after each run")
	fs.IntVar(&o.grants, "grants", 1000, "break-glass grants loaded in driftgate and in the constraint's parameters")
	fs.IntVar(&o.connections, "connections", 8, "keep-alive connections per server (HTTP/1.1)")
	fs.StringVar(&o.gogc, "gogc", "400", "GOGC of driftgate's and the floor's server process (the chart's is 400); Gatekeeper keeps Go's default")
	fs.DurationVar(&o.maxBehind, "max-behind", 5*time.Second, "a request more than this late is not sent and counts as an error: a server that falls behind ends its run on time")
	fs.BoolVar(&o.saturation, "saturation", true, "search each round for the highest rate each server sustains")
	fs.DurationVar(&o.probe, "probe", 10*time.Second, "measured time of a saturation probe")
	fs.DurationVar(&o.probeWarmup, "probe-warmup", 2*time.Second, "warm-up before each probe")
	fs.DurationVar(&o.sustainP99, "sustain-p99", 100*time.Millisecond, "a rate is sustained with no error and p99 from schedule at most this")
	fs.IntVar(&o.minRate, "min-rate", 20, "the lowest rate the saturation search probes")
	fs.IntVar(&o.maxRate, "max-rate", 16000, "the highest rate the saturation search probes")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long each start-up wait may take")
	fs.StringVar(&o.report, "report", "", "print the tables of an earlier run's results.json and exit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.report != "" {
		return o, nil
	}
	var err error
	if o.rates, err = benchkit.Rates("rates", *rates); err != nil {
		return nil, err
	}
	if len(o.rates) == 0 || o.rounds < 1 || o.duration <= 0 || o.connections < 1 || o.grants < 1 || o.minRate < 1 || o.maxRate < o.minRate {
		return nil, errors.New("--rates must name a rate, --rounds, --duration, --connections, --grants and --min-rate must be positive and --max-rate at least --min-rate")
	}
	if o.assets == "" || o.gatekeeper == "" {
		return nil, errors.New(`need --assets "$(hack/controlplane.sh)" and --gatekeeper "$(hack/gatekeeper.sh)" (or run make bench-peers)`)
	}
	for _, p := range []string{o.load, filepath.Join(o.gatekeeper, "manager"), filepath.Join(o.assets, "kube-apiserver")} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return o, nil
}

// bench is one run of the benchmark.
type bench struct {
	o   *options
	out io.Writer
	res *results
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, out)
	if err != nil {
		return err // flag.ErrHelp included: benchkit.Main exits 0 on it
	}
	if o.report != "" {
		return reprint(o.report, out)
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	b := &bench{o: o, out: out, res: &results{Started: time.Now().UTC(), Machine: benchkit.Facts(), Rates: o.rates,
		Grants: o.grants, Gatekeeper: o.gatekeeper, GOGC: o.gogc, SustainP99: o.sustainP99.Seconds()}}
	b.res.Machine.Print(out)
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	gk, err := startGatekeeper(ctx, o, say)
	if gk != nil {
		defer func() {
			if err := gk.stop(); err != nil {
				fmt.Fprintln(os.Stderr, "peerbench: stopping Gatekeeper and the control plane: "+err.Error())
			}
		}()
	}
	if err != nil {
		return err
	}
	var procs []*supervise.Process
	defer func() {
		for _, p := range procs {
			_ = p.Stop(5 * time.Second)
		}
	}()
	urls := map[string]string{serverGatekeeper: gk.url}
	pids := map[string]int{serverGatekeeper: gk.proc.PID}
	for _, name := range []string{serverDriftgate, serverFloor} {
		p, url, err := startLoadServer(ctx, o, name, name == serverFloor)
		if p != nil {
			procs = append(procs, p)
		}
		if err != nil {
			return err
		}
		urls[name], pids[name] = url, p.PID
		say("%s serving on %s (pid %d, GOGC %s, log %s)", name, url, p.PID, o.gogc, p.Log)
	}
	if err := b.checkDecisions(ctx, urls); err != nil {
		return err
	}
	var servers []*server
	for _, name := range []string{serverDriftgate, serverGatekeeper, serverFloor} {
		s, err := newServer(name, urls[name], pids[name], o)
		if err != nil {
			return err
		}
		defer s.gen.Close()
		servers = append(servers, s)
	}
	if err := b.measureAll(ctx, servers); err != nil {
		return err
	}
	b.res.Finished = time.Now().UTC()
	b.res.Machine.LoadEnd = benchkit.LoadAvg()
	printSummary(out, b.res)
	return writeResults(filepath.Join(o.dir, "results.json"), b.res, out)
}

// checkDecisions sends the decision checks to driftgate and Gatekeeper (Gatekeeper until it
// answers them all as expected: it may still be loading the constraint) and to the floor (which
// must answer each, allowed).
func (b *bench) checkDecisions(ctx context.Context, urls map[string]string) error {
	checks := decisionChecks()
	fmt.Fprintf(b.out, "\ndecisions (the same reviews to each server):\n%-30s %-9s %-10s %-10s %s\n", "review", "expected", serverDriftgate, serverGatekeeper, serverFloor)
	got := map[string][]error{}
	deadline := time.Now().Add(b.o.timeout)
	for _, name := range []string{serverDriftgate, serverGatekeeper, serverFloor} {
		for {
			errs, err := checkDecisions(urls[name], name == serverFloor)
			if err != nil {
				return err
			}
			got[name] = errs
			if name != serverGatekeeper || errors.Join(errs...) == nil || time.Now().After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	verdict := func(c int, name string) string {
		err := got[name][c]
		switch {
		case err != nil:
			return "WRONG"
		case name == serverFloor:
			return "allowed"
		case checks[c].Allowed:
			return "allowed"
		default:
			return "denied"
		}
	}
	var failed []error
	for i, c := range checks {
		want := "denied"
		if c.Allowed {
			want = "allowed"
		}
		fmt.Fprintf(b.out, "%-30s %-9s %-10s %-10s %s\n", c.Name, want, verdict(i, serverDriftgate), verdict(i, serverGatekeeper), verdict(i, serverFloor))
		for _, name := range []string{serverDriftgate, serverGatekeeper, serverFloor} {
			if err := got[name][i]; err != nil {
				failed = append(failed, fmt.Errorf("%s, %s: %w", name, c.Name, err))
			}
		}
		b.res.Decisions = append(b.res.Decisions, decision{Review: c.Name, Expected: want,
			Driftgate: verdict(i, serverDriftgate), Gatekeeper: verdict(i, serverGatekeeper), Floor: verdict(i, serverFloor)})
	}
	if len(failed) > 0 {
		return fmt.Errorf("the servers do not decide as expected: %w", errors.Join(failed...))
	}
	return nil
}
