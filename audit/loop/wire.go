package loop

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/config"
)

// Options wire the audit loop into a manager.
type Options struct {
	Config *config.Config
	// Metrics may be nil (no metrics).
	Metrics *Metrics
	Log     logr.Logger
}

// Setup adds the audit loop to mgr: the reconciler (leader only), its live cache of watched
// objects, and the cache's shutdown with the manager.
func Setup(mgr manager.Manager, o Options) (*Reconciler, error) {
	dyn, err := dynamic.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("creating the audit's client: %w", err)
	}
	cfg := o.Config
	r := &Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Mapper: mgr.GetRESTMapper(),
		Fetcher: &source.Fetcher{Dir: cfg.Audit.WorkDir},
		Config:  cfg.Audit, Markers: cfg.Markers, Namespace: cfg.Webhook.Namespace,
		Clock: clock.RealClock{}, Events: mgr.GetEventRecorder("driftgate-audit"), Metrics: o.Metrics,
		Log: o.Log,
	}
	cache := live.NewCache(live.Options{Client: dyn, Mapper: mgr.GetRESTMapper(),
		Resync: cfg.Audit.Resync.Duration, OnChange: r.LiveChanged})
	r.Live = cache
	if err := mgr.Add(stopOnExit{stop: cache.Stop}); err != nil {
		return nil, fmt.Errorf("adding the live cache: %w", err)
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the audit loop: %w", err)
	}
	return r, nil
}

// stopOnExit stops the live cache's watches when the manager stops.
type stopOnExit struct{ stop func() }

func (s stopOnExit) Start(ctx context.Context) error {
	<-ctx.Done()
	s.stop()
	return nil
}
