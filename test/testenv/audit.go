package testenv

import (
	"context"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftgate/driftgate/internal/server"
)

// AuditLoop is a running audit loop.
type AuditLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// StartAudit runs the audit loop as driftgate's service account, as the leader of `driftgate
// serve` would, with its Git clones under the cluster's temporary directory.
func (c *Cluster) StartAudit(ctx context.Context) error {
	if c.audit != nil {
		return nil
	}
	cfg := *c.Config
	cfg.Audit.WorkDir = filepath.Join(c.dir, "git")
	dg, err := c.setupDriftgate(ctx, server.Options{Config: &cfg, Metrics: prometheus.NewRegistry(), Audit: true})
	if err != nil {
		return err
	}
	a := &AuditLoop{}
	if err := run(ctx, dg, &a.cancel, &a.done); err != nil {
		return err
	}
	c.audit = a
	return nil
}

// StopAudit stops the audit loop and waits until it has stopped.
func (c *Cluster) StopAudit() {
	if c.audit == nil {
		return
	}
	c.audit.cancel()
	<-c.audit.done
	c.audit = nil
}
