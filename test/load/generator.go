package main

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
	"strconv"
	"sync"
	"time"
)

// uidMark is where each request's UID (uidFormat, as long) goes in the review.
const (
	uidMark   = "UIDPLACEHOLDER00"
	uidFormat = "req-%012d"
)

// generator sends the review over its own HTTP/1.1 keep-alive connections. It shares the
// machine's cores with the server it measures, so it does as little as it can: one goroutine per
// connection writes the prepared request (the UID written in place) and reads the answer; no
// per-request goroutines, copies or client-side connection pool.
type generator struct {
	addr    string
	tls     *tls.Config
	request []byte // request line, headers and body
	bodyLen int
	uidAt   int // offset of the UID in request
	workers []*worker
}

// timeout bounds one request: a server that stops answering shows as errors, not as a hang.
const timeout = 10 * time.Second

func newGenerator(target string, cfg *tls.Config, body []byte) (*generator, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want https://HOST:PORT/PATH", target)
	}
	head := "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	request := append([]byte(head), body...)
	at := bytes.Index(request, []byte(uidMark))
	if at < 0 {
		return nil, fmt.Errorf("the review has no %s", uidMark)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":443"
	}
	return &generator{addr: addr, tls: cfg, request: request, bodyLen: len(body), uidAt: at}, nil
}

// close closes the connections.
func (g *generator) close() {
	for _, w := range g.workers {
		w.close()
	}
}

// fire sends requests open-loop at rate for d over conns connections, kept from one call to the
// next (the warm-up opens them). Each request is timed twice: from its scheduled start (a stalled
// server, or requests waiting for a free connection, show as latency rather than a lower rate) and
// from its actual send (what the server and the connection took; a connection's dial is not part
// of it).
func (g *generator) fire(rate, conns int, d time.Duration) *result {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	r := &result{latencies: make([]time.Duration, n), service: make([]time.Duration, n), failed: make([]bool, n)}
	var firstErr sync.Once
	jobs := make(chan int, n)
	start := time.Now()
	var wg sync.WaitGroup
	for len(g.workers) < conns {
		g.workers = append(g.workers, &worker{g: g, request: bytes.Clone(g.request)})
	}
	for _, w := range g.workers[:conns] {
		wg.Go(func() {
			for i := range jobs {
				err := w.dial()
				sent := time.Now()
				if err == nil {
					err = w.send(fmt.Sprintf(uidFormat, i))
				}
				if err != nil {
					r.failed[i] = true
					firstErr.Do(func() { r.firstErr = err.Error() })
				}
				done := time.Now()
				r.latencies[i] = done.Sub(start.Add(time.Duration(i) * interval))
				r.service[i] = done.Sub(sent)
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

// worker is one connection and its own copy of the request.
type worker struct {
	g       *generator
	request []byte
	conn    *tls.Conn
	r       *bufio.Reader
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

func (w *worker) send(uid string) error {
	if err := w.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		w.close()
		return err
	}
	copy(w.request[w.g.uidAt:], uid)
	if _, err := w.conn.Write(w.request); err != nil {
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
	return check(answer, uid)
}

func (w *worker) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn, w.r = nil, nil
	}
}

// check reads the part of the AdmissionReview answer the tool checks: the generated writes are
// all ones driftgate allows.
func check(answer []byte, uid string) error {
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
	if !out.Response.Allowed {
		return fmt.Errorf("denied: %.120s", out.Response.Status.Message)
	}
	return nil
}
