package webhook

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/policies"
)

// Offline returns a Decider with no cluster behind it: fixed grants, one mode everywhere, given
// /scale parents, and a clock stopped at now. `driftgate policy eval` and `policy test` use it.
func Offline(engine *policies.Engine, cfg *config.Config, scheme *runtime.Scheme, grants []v1alpha1.BreakGlassGrant,
	mode config.Mode, parents StaticParents, now time.Time) *Decider {
	return &Decider{
		Engine:  engine,
		Grants:  NewStaticGrants(grants),
		Modes:   FixedMode(mode),
		Parents: parents,
		Markers: MarkersFrom(cfg),
		Schemas: fieldpath.NewSchemas(scheme),
		Clock:   fixedClock(now),
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time                  { return time.Time(c) }
func (c fixedClock) Since(t time.Time) time.Duration { return time.Time(c).Sub(t) }
