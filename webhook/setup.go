package webhook

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
)

// Setup registers the admission handler with srv: grants and namespace modes from mgr's cache,
// /scale parents from the API server. Call before mgr starts; the caller runs srv.
func Setup(ctx context.Context, mgr manager.Manager, srv crwebhook.Server, cfg *config.Config, engine *policies.Engine, metrics *Metrics, log logr.Logger) error {
	if err := IndexGrantsByRequester(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("indexing break-glass grants: %w", err)
	}
	md, err := metadata.NewForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("metadata client: %w", err)
	}
	h := &Handler{
		Decider: &Decider{
			Engine:  engine,
			Grants:  CachedGrants{Reader: mgr.GetCache()},
			Modes:   NamespaceModes{Reader: mgr.GetCache(), Default: cfg.Mode},
			Parents: MetadataParents{Client: md, Mapper: mgr.GetRESTMapper()},
			Markers: MarkersFrom(cfg),
			Scheme:  mgr.GetScheme(),
			Clock:   clock.RealClock{},
		},
		Exempt:  cfg.Exempt,
		Log:     log,
		Metrics: metrics,
	}
	srv.Register(Path, h)
	return nil
}
