package protect

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// PauseBefore pauses the Argo CD Application of object for the edit e before its write lands
// (webhook.Pauser): Argo CD's self-heal reacts to a live change within milliseconds, before the
// Protector could see the write land. Pausing the Application takes no write to the object, so
// the write cannot conflict with it. Flux's switch is on the object itself and waits for the
// write; nothing is done for it here. Where the Protector would not protect (off, opted out, no
// Application, paused by others, paused already by driftgate), nothing is done either; the
// Protector settles the edit names once the write lands, and lifts the pause if it never does.
func (p *Protector) PauseBefore(ctx context.Context, object *unstructured.Unstructured, e *v1alpha1.BreakGlassEdit) error {
	if !p.Enabled || object.GetNamespace() == "" || object.GetLabels()[fluxMarker] != "" {
		return nil
	}
	t, _, err := p.targetOf(ctx, object)
	if err != nil || t == nil || t.obj.GetAnnotations()[t.annotation] == t.paused {
		return err
	}
	optOut, err := p.optedOut(ctx, object.GetNamespace())
	if err != nil || optOut {
		return err
	}
	return p.apply(ctx, t, true, []v1alpha1.BreakGlassEdit{*e})
}
