package server

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/driftgate/driftgate/internal/logkeys"
)

// errShuttingDown is the readiness answer once shutdown began.
var errShuttingDown = errors.New("shutting down")

// drain is how serve stops. On the signal, readiness fails at once while everything keeps
// running for delay, so the endpoints controller takes the pod out of the webhook Service
// before the server stops accepting; then the manager stops and the webhook server finishes the
// requests in flight. The API server thus never sends a request to a pod that refuses it.
type drain struct {
	delay    time.Duration
	stopping atomic.Bool
	log      logr.Logger
}

// run returns the context the manager runs with: cancelled delay after signal is.
func (d *drain) run(signal context.Context) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-signal.Done()
		d.stopping.Store(true)
		d.log.Info("shutting down: readiness fails, serving until the delay has passed", logkeys.Delay, d.delay.String())
		<-time.After(d.delay)
		cancel()
	}()
	return ctx
}

// draining reports that shutdown began.
func (d *drain) draining() bool { return d.stopping.Load() }

// ready is the readiness check that fails once shutdown began.
func (d *drain) ready(*http.Request) error {
	if d.stopping.Load() {
		return errShuttingDown
	}
	return nil
}
