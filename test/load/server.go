package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/driftgate/driftgate/test/loadserve"
	"github.com/driftgate/driftgate/webhook"
)

// startInProcess serves driftgate's admission handler (the same http.Handler the webhook
// server registers, over TLS) with n grants loaded; with noop, the no-op handler on the same
// server instead.
func startInProcess(n int, addr string, noop bool) (*httptest.Server, error) {
	var h http.Handler = &noopHandler{}
	if !noop {
		var err error
		if h, err = loadserve.Handler(n, time.Now()); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.Path, h)
	srv := httptest.NewUnstartedServer(mux)
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.StartTLS()
	return srv, nil
}

// noopHandler is the floor a webhook cannot go below on this server and TLS: it reads the
// review and answers allowed without decoding it. The answer must carry the request's uid; in
// the load tool's reviews (encoding/json sorts keys) the request's "uid" is the last one, after
// object and oldObject, and it is copied from there byte for byte.
type noopHandler struct {
	mu  sync.Mutex
	buf []byte // reused across requests, as driftgate's handler reuses its body buffer
}

const (
	noopAnswerHead = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"`
	noopAnswerTail = `","allowed":true}}`
)

func (h *noopHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	buf := h.buf
	h.buf = nil
	h.mu.Unlock()
	body := bytes.NewBuffer(buf[:0])
	if _, err := body.ReadFrom(r.Body); err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	buf = body.Bytes()
	uid := lastUID(buf)
	answer := make([]byte, 0, len(noopAnswerHead)+len(uid)+len(noopAnswerTail))
	answer = append(append(append(answer, noopAnswerHead...), uid...), noopAnswerTail...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(answer)
	h.mu.Lock()
	h.buf = buf
	h.mu.Unlock()
}

// lastUID is the value of the last "uid" key in a JSON text, without decoding it ("" if none).
func lastUID(body []byte) []byte {
	key := []byte(`"uid":"`)
	i := bytes.LastIndex(body, key)
	if i < 0 {
		return nil
	}
	v := body[i+len(key):]
	end := bytes.IndexByte(v, '"')
	if end < 0 {
		return nil
	}
	return v[:end]
}
