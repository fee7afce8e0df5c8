// Command load sends UPDATE AdmissionReviews of a ~14 KB Deployment to a driftgate webhook over
// keep-alive TLS at a fixed rate and prints latency percentiles, throughput and errors.
//
// With no --url it serves driftgate's real admission handler, with --grants break-glass grants
// loaded, over TLS on loopback in a process of its own (itself, run with --serve), as a webhook
// runs apart from the API server that calls it, and measures that; --in-process serves it in the
// generator's own process instead. --noop serves, on the same server and TLS, a webhook that
// answers allowed without decoding: the floor make bench-peers compares driftgate with.
//
//	go run ./test/load --rate 1000 --duration 20s --server-gogc 400
//	go run ./test/load --url https://127.0.0.1:9443/validate --insecure --rate 2000
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/driftgate/driftgate/test/loadgen"
)

type options struct {
	url         string
	insecure    bool
	rate        int
	duration    time.Duration
	warmup      time.Duration
	grants      int
	user        string
	connections int
	cpuProfile  string
	serve       string
	inProcess   bool
	serverGOGC  string
	noop        bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "webhook URL; empty serves the handler on loopback (see --in-process)")
	flag.BoolVar(&o.insecure, "insecure", false, "skip TLS verification of --url")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up at the same rate")
	flag.IntVar(&o.grants, "grants", 1000, "break-glass grants loaded in the server this tool starts")
	flag.StringVar(&o.user, "user", "alice", "requesting user (alice holds a covering grant)")
	flag.IntVar(&o.connections, "connections", 8, "keep-alive connections (HTTP/1.1, as driftgate serves)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the webhook server (with --in-process: of the measured run, generator and server)")
	flag.StringVar(&o.serve, "serve", "", "only serve the handler on this address (e.g. 127.0.0.1:9443) until interrupted, for a generator in another process")
	flag.BoolVar(&o.inProcess, "in-process", false, "serve the handler in the generator's own process")
	flag.StringVar(&o.serverGOGC, "server-gogc", "", "GOGC of the server process (the chart's is 400); empty: inherited")
	flag.BoolVar(&o.noop, "noop", false, "serve a no-op webhook instead of driftgate's handler: the same server and TLS, answering allowed without decoding (the floor of make bench-peers)")
	flag.Parse()
	err := run(&o)
	switch {
	case errors.Is(err, errMeasured):
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "load: "+err.Error())
		os.Exit(2)
	}
}

// errMeasured: requests failed; they are counted and the first is shown in the results.
const errMeasured = constError("requests failed")

type constError string

func (e constError) Error() string { return string(e) }

func run(o *options) error {
	if o.rate <= 0 || o.duration <= 0 || o.connections <= 0 {
		return errors.New("--rate, --duration and --connections must be positive")
	}
	if o.serve != "" {
		return serveOnly(o)
	}
	switch {
	case o.inProcess:
		srv, err := startInProcess(o.grants, "", o.noop)
		if err != nil {
			return err
		}
		defer srv.Close()
		o.url, o.insecure = srv.URL+"/validate", true // the test certificate of net/http/httptest
	case o.url == "":
		srv, err := startServer(o)
		if err != nil {
			return err
		}
		defer srv.stop()
		o.url, o.insecure = srv.url, true
	}
	g, err := loadgen.NewGenerator(o.url, &tls.Config{InsecureSkipVerify: o.insecure}, //nolint:gosec // a test target's certificate
		[]loadgen.Request{{Name: o.user, Body: loadgen.UpdateReview(loadgen.UIDMark, o.user), Allowed: true}})
	if err != nil {
		return err
	}
	defer g.Close()
	g.AnyDecision = o.noop
	fmt.Printf("target %s, %d req/s, warm-up %s, measured %s, user %s, %d grants, %d-byte review, %d connections\n",
		o.url, o.rate, o.warmup, o.duration, o.user, o.grants, g.BodyLen(), o.connections)
	if res := g.Fire(o.rate, o.connections, o.warmup); res.Failures() > 0 { // warm connections and caches
		printResult(res, o.warmup)
		return errors.New("errors during the warm-up")
	}
	stopProfile := func() {}
	if o.inProcess {
		if stopProfile, err = startProfile(o.cpuProfile); err != nil {
			return err
		}
	}
	res := g.Fire(o.rate, o.connections, o.duration)
	stopProfile()
	printResult(res, o.duration)
	if res.Failures() > 0 {
		return errMeasured
	}
	return nil
}

func printResult(r *loadgen.Result, d time.Duration) {
	fmt.Printf("requests %d, errors %d, throughput %.0f req/s\n", len(r.Latencies), r.Failures(), float64(len(r.Latencies))/d.Seconds())
	printPercentiles("latency from send    ", r.Answered(r.Service))
	printPercentiles("latency from schedule", r.Answered(r.Latencies))
	if r.FirstErr != "" {
		fmt.Printf("first error: %s\n", r.FirstErr)
	}
}

func printPercentiles(label string, samples []time.Duration) {
	p := loadgen.PercentilesOf(samples)
	if p.N == 0 {
		fmt.Printf("%s no answered requests\n", label)
		return
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
	fmt.Printf("%s p50 %s, p99 %s, p99.9 %s, max %s\n", label, r(p.P50), r(p.P99), r(p.P999), r(p.Max))
}

// serveOnly serves the handler until SIGINT or SIGTERM. Its first line of output is the URL.
func serveOnly(o *options) error {
	srv, err := startInProcess(o.grants, o.serve, o.noop)
	if err != nil {
		return err
	}
	defer srv.Close()
	stopProfile, err := startProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	fmt.Printf("%s/validate\n", srv.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// startProfile starts a CPU profile written to path (none when path is empty) and returns what
// stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
