package policies

import (
	"context"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"

	"github.com/driftgate/driftgate/internal/logkeys"
)

// Watcher reloads the engine when the operator's policy directory changes. A policy that does not
// compile is logged and rejected; the last good one stays in force. It is a manager Runnable.
type Watcher struct {
	Engine *Engine
	Dir    string
	Log    logr.Logger
	// Settle is how long the directory must be quiet before a reload (ConfigMap updates swap
	// several files).
	Settle time.Duration
	// OnReload, if set, is told the outcome of every reload attempt (nil when it took effect).
	OnReload func(error)
}

// Start loads the directory and then watches it until ctx ends.
func (w *Watcher) Start(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer fw.Close()
	if err := fw.Add(w.Dir); err != nil {
		return err
	}
	// Load once now that changes are watched, so none made before Start is missed.
	w.reload(ctx)
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-fw.Events:
			pending = time.After(w.Settle)
		case err := <-fw.Errors:
			w.Log.Error(err, "watching the policy directory", logkeys.Dir, w.Dir)
		case <-pending:
			pending = nil
			w.reload(ctx)
		}
	}
}

func (w *Watcher) reload(ctx context.Context) {
	mods, err := ReadDir(w.Dir, false)
	if err == nil {
		err = w.Engine.Load(ctx, mods)
	}
	if w.OnReload != nil {
		defer w.OnReload(err)
	}
	if err != nil {
		w.Log.Error(err, "policy rejected; the last good policy stays in force",
			logkeys.Dir, w.Dir, logkeys.Policy, w.Engine.Version())
		return
	}
	w.Log.Info("policy reloaded", logkeys.Dir, w.Dir, logkeys.Policy, w.Engine.Version())
}

// NeedLeaderElection is false: every replica serves admission, so every replica reloads.
func (w *Watcher) NeedLeaderElection() bool { return false }
