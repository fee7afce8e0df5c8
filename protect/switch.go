package protect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// apply sets or lifts the target's switch and driftgate's annotations with a merge patch, only
// where it differs. A switch driftgate did not set is left alone.
func (p *Protector) apply(ctx context.Context, t *pauseTarget, want bool, open []v1alpha1.BreakGlassEdit) error {
	ann := t.obj.GetAnnotations()
	ours := ann[ProtectedEdits] != ""
	names, tickets := editNames(open)
	switch {
	case want && ann[t.annotation] == t.paused && (!ours || ann[ProtectedEdits] == names && ann[ProtectedTickets] == tickets):
		return nil // held as it should be, or paused by others already
	case !want && !ours:
		return nil
	}
	before := t.obj.DeepCopy()
	if ann == nil {
		ann = map[string]string{}
	}
	if want {
		ann[t.annotation], ann[ProtectedEdits], ann[ProtectedTickets] = t.paused, names, tickets
	} else {
		delete(ann, t.annotation)
		delete(ann, ProtectedEdits)
		delete(ann, ProtectedTickets)
	}
	t.obj.SetAnnotations(ann)
	err := p.Client.Patch(ctx, t.obj, client.MergeFrom(before), client.FieldOwner(FieldManager))
	switch {
	case apierrors.IsForbidden(err):
		ctrl.LoggerFrom(ctx).Info("self-heal protection not possible: driftgate may not patch this kind",
			logkeys.Object, t.name(), logkeys.Error, err.Error())
		return err
	case err != nil:
		return fmt.Errorf("setting the self-heal protection of %s: %w", t.name(), err)
	case want:
		ctrl.LoggerFrom(ctx).Info("self-heal protection set", logkeys.Object, t.name(), logkeys.Name, names)
	default:
		ctrl.LoggerFrom(ctx).Info("self-heal protection lifted", logkeys.Object, t.name())
	}
	return nil
}

// editNames are the edits' names and their tickets, comma-separated, without repeats.
func editNames(edits []v1alpha1.BreakGlassEdit) (names, tickets string) {
	var n, t []string
	for _, e := range edits {
		n = append(n, e.Name)
		if e.Spec.Ticket != "" && !slices.Contains(t, e.Spec.Ticket) {
			t = append(t, e.Spec.Ticket)
		}
	}
	slices.Sort(t)
	return strings.Join(n, ","), strings.Join(t, ",")
}
