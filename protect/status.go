package protect

import (
	"context"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// ConditionType is the edits' condition saying whether their fix is protected from self-heal.
const ConditionType = v1alpha1.SelfHealProtected

// The condition's reasons: True only for ReasonHeld and ReasonPausedInGit.
const (
	// ReasonHeld: driftgate holds Flux's reconcile switch on the object for the edit.
	ReasonHeld = v1alpha1.SelfHealHeld
	// ReasonPausedInGit: Git itself sets the switch; Flux does not reconcile the object anyway.
	ReasonPausedInGit = "PausedInGit"
	// ReasonLifted: the edit is resolved; driftgate no longer holds the switch for it.
	ReasonLifted = "Lifted"
	// ReasonOff: breakGlass.selfHealProtection is false.
	ReasonOff = "Off"
	// ReasonOptedOut: the namespace has OptOutLabel "off".
	ReasonOptedOut = "OptedOut"
	// ReasonNoSwitch: the object has no per-object switch driftgate sets (not applied by Flux).
	ReasonNoSwitch = "NoSwitch"
	// ReasonForbidden: driftgate may not patch the object's kind.
	ReasonForbidden = "Forbidden"
	// ReasonSkippedInGit: Git marks the object driftgate.io/skip; the audit never decides the
	// edit, so driftgate does not hold the switch for it.
	ReasonSkippedInGit = v1alpha1.SkippedInGit
)

// Finalizer is on every edit whose object driftgate holds: deleting the record lifts the
// protection first.
const Finalizer = "driftgate.io/self-heal-protection"

// protection is what the Protector decided for an object's open edits.
type protection struct {
	reason, message string
}

func (v protection) held() bool { return v.reason == ReasonHeld }

func (v protection) status() metav1.ConditionStatus {
	if v.reason == ReasonHeld || v.reason == ReasonPausedInGit {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}

// record says v on the open edit e, and keeps the finalizer on it while its object is held.
func (p *Protector) record(ctx context.Context, e *v1alpha1.BreakGlassEdit, v protection) error {
	if v.held() {
		if err := p.setFinalizer(ctx, e, true); err != nil {
			return err
		}
	}
	if err := p.setCondition(ctx, e, v); err != nil {
		return err
	}
	if !v.held() {
		return p.setFinalizer(ctx, e, false)
	}
	return nil
}

// release is the edit no longer protected (resolved, being deleted, its object gone): its
// condition says so if it was held, and its finalizer goes.
func (p *Protector) release(ctx context.Context, e *v1alpha1.BreakGlassEdit) error {
	if c := apimeta.FindStatusCondition(e.Status.Conditions, ConditionType); c != nil && c.Reason == ReasonHeld && e.DeletionTimestamp == nil {
		lifted := protection{reason: ReasonLifted, message: "the edit is resolved: driftgate no longer holds Flux's reconcile switch for it"}
		if err := p.setCondition(ctx, e, lifted); err != nil {
			return err
		}
	}
	return p.setFinalizer(ctx, e, false)
}

func (p *Protector) setCondition(ctx context.Context, e *v1alpha1.BreakGlassEdit, v protection) error {
	before := e.DeepCopy()
	changed := apimeta.SetStatusCondition(&e.Status.Conditions, metav1.Condition{Type: ConditionType, Status: v.status(),
		Reason: v.reason, Message: v.message, ObservedGeneration: e.Generation})
	if !changed {
		return nil
	}
	// Locked: the audit writes the backport state and its own condition to the same status.
	if err := p.Client.Status().Patch(ctx, e, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("saying the self-heal protection on %s: %w", e.Name, err))
	}
	return nil
}

func (p *Protector) setFinalizer(ctx context.Context, e *v1alpha1.BreakGlassEdit, on bool) error {
	before := e.DeepCopy()
	var changed bool
	if on {
		changed = controllerutil.AddFinalizer(e, Finalizer)
	} else {
		changed = controllerutil.RemoveFinalizer(e, Finalizer)
	}
	if !changed {
		return nil
	}
	// No optimistic lock: driftgate's finalizer is the only one records carry, and a lock made
	// the audit's concurrent status writes conflict.
	if err := p.Client.Patch(ctx, e, client.MergeFrom(before)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("updating the finalizer of %s: %w", e.Name, err))
	}
	return nil
}
