package testenv

import (
	"context"
	"path/filepath"

	"github.com/go-logr/logr"

	"github.com/driftgate/driftgate/audit/loop"
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
	mgr, err := c.newManager()
	if err != nil {
		return err
	}
	cfg := *c.Config
	cfg.Audit.WorkDir = filepath.Join(c.dir, "git")
	if _, err := loop.Setup(mgr, loop.Options{Config: &cfg, Log: logr.Discard()}); err != nil {
		return err
	}
	a := &AuditLoop{}
	if err := run(ctx, mgr, &a.cancel, &a.done); err != nil {
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
