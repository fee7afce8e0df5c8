package webhook

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/policies"
)

// Options are what the admission handler is built from.
type Options struct {
	Config  *config.Config
	Engine  *policies.Engine
	Metrics *Metrics
	Log     logr.Logger
	// RecordClient writes edit records; nil: a client of its own, made from the manager's
	// configuration, so that the record of a write waits for no other part's requests under
	// client-go's per-client rate limits (the protector works on the same records).
	RecordClient client.Client
	// Draining reports a shutdown in progress (Handler.Draining); nil: never.
	Draining func() bool
	// Pauser pauses an Argo CD object's Application before a recorded write lands; nil: none.
	Pauser Pauser
}

// Setup registers the admission handler with srv: grants and namespace modes from mgr's cache,
// /scale parents from the API server, records written before each break-glass write is
// answered. Call before mgr starts; the caller runs srv.
func Setup(ctx context.Context, mgr manager.Manager, srv crwebhook.Server, o Options) error {
	if err := IndexGrantsByRequester(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("indexing break-glass grants: %w", err)
	}
	md, err := metadata.NewForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("metadata client: %w", err)
	}
	rules, err := breakglass.NewRules(o.Config)
	if err != nil {
		return err
	}
	rules.KnownResource = KnownResource(mgr.GetRESTMapper())
	records := o.RecordClient
	if records == nil {
		if records, err = client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()}); err != nil {
			return fmt.Errorf("the records' client: %w", err)
		}
	}
	h := &Handler{
		Decider: &Decider{
			Engine:  o.Engine,
			Grants:  CachedGrants{Reader: mgr.GetCache()},
			Modes:   NamespaceModes{Reader: mgr.GetCache(), Default: o.Config.Mode},
			Parents: MetadataParents{Client: md, Mapper: mgr.GetRESTMapper()},
			Markers: MarkersFrom(o.Config),
			Schemas: fieldpath.NewSchemas(mgr.GetScheme()),
			Clock:   clock.RealClock{},
		},
		Exempt:        o.Config.Exempt,
		Log:           o.Log,
		Metrics:       o.Metrics,
		Rules:         rules,
		Recorder:      &EditRecorder{Client: records, Clock: clock.RealClock{}, Pauser: o.Pauser, Log: o.Log},
		AnswerTimeout: AnswerTimeout(o.Config.Webhook.TimeoutSeconds),
		Draining:      o.Draining,
	}
	srv.Register(Path, h)
	return nil
}
