package main

import (
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/internal/config"
)

// setupAudit adds the audit loop (leader only): GitSources fetched on their interval, live
// objects watched, break-glass edits resolved.
func setupAudit(mgr manager.Manager, cfg *config.Config, log logr.Logger) error {
	m, err := loop.NewMetrics(metrics.Registry)
	if err != nil {
		return fmt.Errorf("registering the audit metrics: %w", err)
	}
	_, err = loop.Setup(mgr, loop.Options{Config: cfg, Metrics: m, Log: log.WithName("audit")})
	return err
}
