package loop

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/logkeys"
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
	direct, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, fmt.Errorf("creating the audit's uncached client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("creating the audit's discovery client: %w", err)
	}
	cfg := o.Config
	r := &Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Direct: direct, Mapper: mgr.GetRESTMapper(), Discovery: disc,
		Fetcher: &source.Fetcher{Dir: cfg.Audit.WorkDir, HTTP: &http.Client{Timeout: artifactTimeout}},
		Config:  cfg.Audit, Markers: cfg.Markers, Namespace: cfg.Webhook.Namespace, ArgoCDNamespace: cfg.BreakGlass.ArgoCDNamespace,
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
	if err := setupDiscovery(mgr, cfg, o.Log); err != nil {
		return nil, err
	}
	return r, nil
}

// artifactTimeout bounds one download of a Flux artifact.
const artifactTimeout = 2 * time.Minute

// setupDiscovery adds the discovery the config turns on, for the GitOps kinds the cluster
// serves. A GitOps controller installed after driftgate started is discovered at driftgate's
// next start.
func setupDiscovery(mgr manager.Manager, cfg *config.Config, log logr.Logger) error {
	on := cfg.Audit.Discover
	var kinds []Discovered
	if on.FluxKustomizations {
		kinds = append(kinds, fluxKustomizations())
	}
	if on.FluxHelmReleases {
		kinds = append(kinds, fluxHelmReleases())
	}
	if on.ArgoCDApplications {
		k := argocdApplications()
		k.Interval = argoReconciliation(mgr.GetAPIReader(), argoNamespace(cfg.BreakGlass.ArgoCDNamespace))
		kinds = append(kinds, k)
	}
	for _, k := range kinds {
		if !serves(mgr.GetRESTMapper(), k.GVK) {
			log.Info("the cluster does not serve the kind: none discovered until driftgate restarts", logkeys.Kind, k.GVK.String())
			continue
		}
		d := &Discoverer{Client: mgr.GetClient(), Of: k, Log: log}
		if err := d.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("setting up the discovery of %s: %w", k.GVK.Kind, err)
		}
	}
	return nil
}

// stopOnExit stops the live cache's watches when the manager stops.
type stopOnExit struct{ stop func() }

func (s stopOnExit) Start(ctx context.Context) error {
	<-ctx.Done()
	s.stop()
	return nil
}
