package webhook

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds a review; the API server's own limit for an object is 3 MiB, a review holds two.
const maxBody = 7 << 20

// maxPooledBody bounds the body buffers kept for reuse.
const maxPooledBody = 1 << 20

const (
	errEmptyBody = constError("request body is empty")
	errTooLarge  = constError("request body is larger than 7 MiB")
)

// readBody reads the body into a reused buffer of the announced size (the API server announces
// it); the caller puts the buffer back when done with it.
func (h *Handler) readBody(r *http.Request) (*bytes.Buffer, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	buf, _ := h.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1))
	switch {
	case err != nil:
		err = fmt.Errorf("reading the request body: %w", err)
	case buf.Len() == 0:
		err = errEmptyBody
	case buf.Len() > maxBody:
		err = errTooLarge
	}
	if err != nil {
		h.putBody(buf)
		return nil, err
	}
	return buf, nil
}

// putBody keeps a body buffer for the next review, unless a rare large review grew it.
func (h *Handler) putBody(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledBody {
		h.bodies.Put(buf)
	}
}
