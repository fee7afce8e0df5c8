// Command load sends UPDATE AdmissionReviews of a ~14 KB Deployment to a driftgate webhook over
// keep-alive TLS at a fixed rate and prints latency percentiles, throughput and errors.
//
// With no --url it serves driftgate's real admission handler, with --grants break-glass grants
// loaded, over TLS on loopback in a process of its own (itself, run with --serve), as a webhook
// runs apart from the API server that calls it, and measures that; --in-process serves it in the
// generator's own process instead.
//
//	go run ./test/load --rate 1000 --duration 20s --server-gogc 400
//	go run ./test/load --url https://127.0.0.1:9443/validate --insecure --rate 2000
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
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
	http2       bool
	cpuProfile  string
	serve       string
	inProcess   bool
	serverGOGC  string
	template    []byte // the review, with uidMark where each request's UID goes
}

// uidMark is where each request's UID (uidFormat, as long) goes in the review.
const (
	uidMark   = "UIDPLACEHOLDER00"
	uidFormat = "req-%012d"
)

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "webhook URL; empty starts the handler in-process on loopback")
	flag.BoolVar(&o.insecure, "insecure", false, "skip TLS verification of --url")
	flag.IntVar(&o.rate, "rate", 1000, "requests per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured warm-up at the same rate")
	flag.IntVar(&o.grants, "grants", 1000, "break-glass grants loaded in the in-process server")
	flag.StringVar(&o.user, "user", "alice", "requesting user (alice holds a covering grant)")
	flag.IntVar(&o.connections, "connections", 8, "keep-alive connections")
	flag.BoolVar(&o.http2, "http2", false, "use HTTP/2 to the in-process server (default HTTP/1.1 keep-alive)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the webhook server (with --in-process: of the measured run, generator and server)")
	flag.StringVar(&o.serve, "serve", "", "only serve the handler on this address (e.g. 127.0.0.1:9443) until interrupted, for a generator in another process")
	flag.BoolVar(&o.inProcess, "in-process", false, "serve the handler in the generator's own process")
	flag.StringVar(&o.serverGOGC, "server-gogc", "", "GOGC of the server process (the chart's is 400); empty: inherited")
	flag.Parse()
	if err := run(&o); err != nil {
		fmt.Fprintln(os.Stderr, "load: "+err.Error())
		os.Exit(2)
	}
}

func run(o *options) error {
	if o.rate <= 0 || o.duration <= 0 {
		return errors.New("--rate and --duration must be positive")
	}
	if o.serve != "" {
		return serveOnly(o)
	}
	o.template = loadgen.UpdateReview(uidMark, o.user)
	client := &http.Client{Timeout: 10 * time.Second}
	switch {
	case o.inProcess:
		srv, err := startInProcess(o.grants, o.http2, "")
		if err != nil {
			return err
		}
		defer srv.Close()
		o.url = srv.URL + "/validate"
		client.Transport = srv.transport(o.connections)
	case o.url == "":
		srv, err := startServer(o)
		if err != nil {
			return err
		}
		defer srv.stop()
		o.url, o.insecure = srv.url, true // the test certificate of net/http/httptest
		fallthrough
	default:
		client.Transport = &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: o.insecure}, //nolint:gosec // operator's choice for a test target
			MaxIdleConnsPerHost: o.connections, MaxConnsPerHost: o.connections,
			ForceAttemptHTTP2: o.http2,
		}
	}
	fmt.Printf("target %s, %d req/s, warm-up %s, measured %s, user %s, %d grants, %d-byte review\n",
		o.url, o.rate, o.warmup, o.duration, o.user, o.grants, len(o.template))
	fire(client, o, o.warmup) // warm connections and caches
	if o.cpuProfile != "" && o.inProcess {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res := fire(client, o, o.duration)
	pprof.StopCPUProfile()
	res.print(o.duration)
	if res.errors > 0 {
		os.Exit(1)
	}
	return nil
}

type result struct {
	latencies []time.Duration // from the request's scheduled start
	service   []time.Duration // from the moment it was actually sent
	errors    int64
	firstErr  string
}

// fire sends requests open-loop at o.rate for d. Each request is timed twice: from its scheduled
// start (a stalled server, or a generator that fell behind, shows as latency rather than a lower
// rate) and from its actual send (what the server and the connection took).
func fire(client *http.Client, o *options, d time.Duration) *result {
	interval := time.Second / time.Duration(o.rate)
	n := int(d / interval)
	lat := make([]time.Duration, n)
	svc := make([]time.Duration, n)
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	// The generator shares the machine's cores with the server: each request's body is the
	// template with its UID written in place, in a reused buffer, not a fresh copy.
	uidAt := bytes.Index(o.template, []byte(uidMark))
	bodies := &sync.Pool{New: func() any {
		b := make([]byte, len(o.template))
		return &b
	}}
	start := time.Now()
	for i := range n {
		scheduled := start.Add(time.Duration(i) * interval)
		if wait := time.Until(scheduled); wait > 0 {
			time.Sleep(wait)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sent := time.Now()
			if err := send(client, o.url, bodies, o.template, uidAt, fmt.Sprintf(uidFormat, i)); err != nil {
				errs.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
			lat[i] = time.Since(scheduled)
			svc[i] = time.Since(sent)
		}(i)
	}
	wg.Wait()
	r := &result{latencies: lat, service: svc, errors: errs.Load()}
	if v, ok := firstErr.Load().(string); ok {
		r.firstErr = v
	}
	return r
}

func send(client *http.Client, url string, bodies *sync.Pool, template []byte, uidAt int, uid string) error {
	body := bodies.Get().(*[]byte)
	copy(*body, template)
	copy((*body)[uidAt:], uid)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(*body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err // the body may still be being written: not reused
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	bodies.Put(body) // sent: the server answered
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var out answerReview
	if err := json.Unmarshal(answer, &out); err != nil || out.Response == nil || out.Response.UID != uid {
		return fmt.Errorf("bad AdmissionReview answer: %.120s", answer)
	}
	if !out.Response.Allowed { // the generated writes are all ones driftgate allows
		return fmt.Errorf("denied: %.120s", out.Response.Status.Message)
	}
	return nil
}

// answerReview is the part of an AdmissionReview answer the tool checks.
type answerReview struct {
	Response *struct {
		UID     string `json:"uid"`
		Allowed bool   `json:"allowed"`
		Status  struct {
			Message string `json:"message"`
		} `json:"status"`
	} `json:"response"`
}

func (r *result) print(d time.Duration) {
	fmt.Printf("requests %d, errors %d, throughput %.0f req/s\n", len(r.latencies), r.errors, float64(len(r.latencies))/d.Seconds())
	printPercentiles("latency from send    ", r.service)
	printPercentiles("latency from schedule", r.latencies)
	if r.firstErr != "" {
		fmt.Printf("first error: %s\n", r.firstErr)
	}
}

func printPercentiles(label string, samples []time.Duration) {
	l := slices.Clone(samples)
	slices.Sort(l)
	pct := func(p float64) time.Duration { return l[min(len(l)-1, int(float64(len(l))*p))].Round(time.Microsecond) }
	fmt.Printf("%s p50 %s, p99 %s, p99.9 %s, max %s\n", label, pct(0.50), pct(0.99), pct(0.999), pct(1))
}

// serveOnly serves the handler until SIGINT or SIGTERM. Its first line of output is the URL.
func serveOnly(o *options) error {
	srv, err := startInProcess(o.grants, o.http2, o.serve)
	if err != nil {
		return err
	}
	defer srv.Close()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("%s/validate\n", srv.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
