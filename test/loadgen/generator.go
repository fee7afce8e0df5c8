package loadgen

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// UIDMark is where each request's UID (uidFormat, as long) goes in a review.
const (
	UIDMark   = "UIDPLACEHOLDER00"
	uidFormat = "req-%012d"
)

// Request is one review the generator sends, and the decision it expects.
type Request struct {
	// Name names the traffic in reports ("alice (grant)").
	Name string
	// Body is an AdmissionReview with UIDMark where its UID goes.
	Body []byte
	// Allowed is the answer expected; another one counts as a failed request.
	Allowed bool
}

// Generator sends reviews over its own HTTP/1.1 keep-alive connections. It shares the machine's
// cores with the server it measures, so it does as little as it can: one goroutine per
// connection writes a prepared request (the UID written in place) and reads the answer; no
// per-request goroutines, copies or client-side connection pool.
type Generator struct {
	// AnyDecision checks only that each answer is a well-formed AdmissionReview response of the
	// request's UID, not its decision (a no-op server allows everything).
	AnyDecision bool
	// MaxBehind, when positive, is how late a request may be taken up after its scheduled start;
	// a later one is not sent and counts as failed (Result.Dropped). An overloaded server's run
	// then ends on time instead of draining a backlog that only grows.
	MaxBehind time.Duration

	addr     string
	tls      *tls.Config
	requests []prepared
	workers  []*worker
}

// prepared is a Request as sent: request line, headers and body, and where the UID goes.
type prepared struct {
	Request
	raw   []byte
	uidAt int
}

// timeout bounds one request: a server that stops answering shows as errors, not as a hang.
const timeout = 10 * time.Second

// NewGenerator prepares reqs for target (https://HOST:PORT/PATH); request i of a run is
// reqs[i%len(reqs)].
func NewGenerator(target string, cfg *tls.Config, reqs []Request) (*Generator, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want https://HOST:PORT/PATH", target)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("no requests to send")
	}
	g := &Generator{addr: u.Host, tls: cfg}
	if u.Port() == "" {
		g.addr += ":443"
	}
	for _, r := range reqs {
		head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
			"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(r.Body)) + "\r\n\r\n"
		raw := append([]byte(head), r.Body...)
		at := bytes.Index(raw, []byte(UIDMark))
		if at < 0 {
			return nil, fmt.Errorf("the review %q has no %s", r.Name, UIDMark)
		}
		g.requests = append(g.requests, prepared{Request: r, raw: raw, uidAt: at})
	}
	return g, nil
}

// BodyLen is the length of the first review.
func (g *Generator) BodyLen() int { return len(g.requests[0].Body) }

// Close closes the connections.
func (g *Generator) Close() {
	for _, w := range g.workers {
		w.close()
	}
}

// Fire sends requests open-loop at rate for d over conns connections, kept from one call to the
// next (the warm-up opens them). Each request is timed twice: from its scheduled start (a stalled
// server, or requests waiting for a free connection, show as latency rather than a lower rate) and
// from its actual send (what the server and the connection took; a connection's dial is not part
// of it).
func (g *Generator) Fire(rate, conns int, d time.Duration) *Result {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	r := &Result{Latencies: make([]time.Duration, n), Service: make([]time.Duration, n), Failed: make([]bool, n)}
	var mu sync.Mutex // guards FirstErr and Dropped
	fail := func(i int, err error) {
		r.Failed[i] = true
		mu.Lock()
		defer mu.Unlock()
		if r.FirstErr == "" {
			r.FirstErr = err.Error()
		}
	}
	jobs := make(chan int, n)
	start := time.Now()
	var wg sync.WaitGroup
	for len(g.workers) < conns {
		g.workers = append(g.workers, g.newWorker())
	}
	for _, w := range g.workers[:conns] {
		wg.Go(func() {
			for i := range jobs {
				scheduled := start.Add(time.Duration(i) * interval)
				if g.MaxBehind > 0 && time.Since(scheduled) > g.MaxBehind {
					r.Failed[i] = true
					mu.Lock()
					r.Dropped++
					mu.Unlock()
					continue
				}
				err := w.dial()
				sent := time.Now()
				if err == nil {
					err = w.send(i%len(g.requests), fmt.Sprintf(uidFormat, i))
				}
				if err != nil {
					fail(i, err)
				}
				done := time.Now()
				r.Latencies[i] = done.Sub(scheduled)
				r.Service[i] = done.Sub(sent)
			}
		})
	}
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return r
}

// Check sends each request once on a connection of its own and returns, per request, the error
// of its answer (nil: the decision expected).
func (g *Generator) Check() []error {
	out := make([]error, len(g.requests))
	w := g.newWorker()
	defer w.close()
	for i := range g.requests {
		if err := w.dial(); err != nil {
			out[i] = err
			continue
		}
		out[i] = w.send(i, fmt.Sprintf(uidFormat, i))
	}
	return out
}

// worker is one connection and its own copy of each request.
type worker struct {
	g        *Generator
	requests [][]byte
	conn     *tls.Conn
	r        *bufio.Reader
}

func (g *Generator) newWorker() *worker {
	w := &worker{g: g}
	for _, p := range g.requests {
		w.requests = append(w.requests, bytes.Clone(p.raw))
	}
	return w
}

// dial opens the worker's connection unless it is open.
func (w *worker) dial() error {
	if w.conn != nil {
		return nil
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", w.g.addr, w.g.tls)
	if err != nil {
		return err
	}
	w.conn, w.r = conn, bufio.NewReaderSize(conn, 16<<10)
	return nil
}

func (w *worker) send(which int, uid string) error {
	if err := w.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		w.close()
		return err
	}
	request := w.requests[which]
	copy(request[w.g.requests[which].uidAt:], uid)
	if _, err := w.conn.Write(request); err != nil {
		w.close()
		return err
	}
	resp, err := http.ReadResponse(w.r, nil)
	if err != nil {
		w.close()
		return err
	}
	answer, err := io.ReadAll(resp.Body)
	if err != nil || resp.Close {
		w.close() // the server closes the connection: the next request dials anew
	}
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return check(answer, uid, w.g.requests[which].Allowed, w.g.AnyDecision)
}

func (w *worker) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn, w.r = nil, nil
	}
}

// check reads the part of the AdmissionReview answer the generator checks: its UID, and unless
// anyDecision, that the decision is the one expected.
func check(answer []byte, uid string, allowed, anyDecision bool) error {
	var out struct {
		Response *struct {
			UID     string `json:"uid"`
			Allowed bool   `json:"allowed"`
			Status  struct {
				Message string `json:"message"`
			} `json:"status"`
		} `json:"response"`
	}
	if err := json.Unmarshal(answer, &out); err != nil || out.Response == nil || out.Response.UID != uid {
		return fmt.Errorf("bad AdmissionReview answer: %.120s", answer)
	}
	switch {
	case anyDecision || out.Response.Allowed == allowed:
		return nil
	case allowed:
		return fmt.Errorf("denied: %.120s", out.Response.Status.Message)
	default:
		return fmt.Errorf("allowed, where a denial was expected")
	}
}

// Result is one run's samples, in the order the requests were scheduled.
type Result struct {
	Latencies []time.Duration // from the request's scheduled start
	Service   []time.Duration // from the moment it was actually sent
	Failed    []bool          // the request got no answer, not the one expected, or was dropped
	Dropped   int             // not sent: taken up later than MaxBehind after its scheduled start
	FirstErr  string
}

// Failures counts the failed requests (the dropped ones included).
func (r *Result) Failures() int {
	n := 0
	for _, f := range r.Failed {
		if f {
			n++
		}
	}
	return n
}

// Answered keeps the samples of requests that did not fail: a failure's time (a refused
// connection, a timeout) says nothing about how fast the server answers.
func (r *Result) Answered(samples []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(samples))
	for i, d := range samples {
		if !r.Failed[i] {
			out = append(out, d)
		}
	}
	return out
}

// Percentiles of a set of samples; N is how many.
type Percentiles struct {
	N                   int
	P50, P99, P999, Max time.Duration
}

// PercentilesOf sorts a copy of samples and reads the percentiles (zero when empty).
func PercentilesOf(samples []time.Duration) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	l := slices.Clone(samples)
	slices.Sort(l)
	pct := func(p float64) time.Duration { return l[min(len(l)-1, int(float64(len(l))*p))] }
	return Percentiles{N: len(l), P50: pct(0.50), P99: pct(0.99), P999: pct(0.999), Max: pct(1)}
}
