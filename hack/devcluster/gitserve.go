package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/driftgate/driftgate/internal/gitserver"
)

// gitServeVerb runs the dev cluster's Git server: `devcluster git-serve ROOT ADDR`, started by up
// as a process of its own, like the other components.
const gitServeVerb = "git-serve"

// gitServe serves the repositories under root on addr until ctx ends.
func gitServe(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: devcluster git-serve ROOT ADDR")
	}
	h, err := gitserver.Handler(args[0])
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: args[1], Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving Git on %s: %w", args[1], err)
	}
	return nil
}
