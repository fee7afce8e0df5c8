package breakglass

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// checkUpdate allows the three things people do to an existing grant: an approver adds an
// approval or a denial to a pending grant; the requester, an approver or an admin revokes a
// pending or active one. Everything the requester asked for is immutable, and a grant in a
// terminal phase never changes again, its metadata included. The garbage collector removes the
// finalizers of a grant being deleted, in any phase.
func (r *Rules) checkUpdate(w Writer, old, obj *v1alpha1.BreakGlassGrant) error {
	if r.isSystem(w) && finishesDeletion(old, obj) {
		return nil
	}
	o, n := &old.Spec, &obj.Spec
	phase := phaseOf(old)
	if phase.Terminal() {
		if equality.Semantic.DeepEqual(o, n) && equality.Semantic.DeepEqual(written(old.ObjectMeta), written(obj.ObjectMeta)) {
			return nil
		}
		return fmt.Errorf("grant %s is %s and never changes again, its labels, annotations, finalizers and owner references included: request a new grant", old.Name, phase)
	}
	if !equality.Semantic.DeepEqual(old.Finalizers, obj.Finalizers) || !equality.Semantic.DeepEqual(old.OwnerReferences, obj.OwnerReferences) {
		return errors.New("the finalizers and owner references of a grant are driftgate's")
	}
	if o.Requester != n.Requester || o.Reason != n.Reason || o.Ticket != n.Ticket ||
		o.Duration != n.Duration || !equality.Semantic.DeepEqual(o.Scope, n.Scope) {
		return errors.New("the requester, reason, ticket, scope and duration of a grant are immutable: request a new grant")
	}
	if err := r.checkApprovals(w, old, obj, phase); err != nil {
		return err
	}
	if err := r.checkDenial(w, old, obj, phase); err != nil {
		return err
	}
	return r.checkRevocation(w, old, obj)
}

func (r *Rules) checkApprovals(w Writer, old, obj *v1alpha1.BreakGlassGrant, phase v1alpha1.GrantPhase) error {
	o, n := old.Spec.Approvals, obj.Spec.Approvals
	if len(n) < len(o) || !equality.Semantic.DeepEqual(o, n[:len(o)]) {
		return errors.New("spec.approvals: approvals are only ever added, never changed or removed")
	}
	for i, a := range n[len(o):] {
		switch {
		case phase != v1alpha1.GrantPending:
			return fmt.Errorf("grant %s is %s: only a pending grant is approved", old.Name, phase)
		case a.User != w.User:
			return fmt.Errorf("spec.approvals: an approval is added by the approver it names, and you are %q, not %q", w.User, a.User)
		case a.User == old.Spec.Requester:
			return errors.New("spec.approvals: no one approves their own grant")
		case !r.isMember(w, r.Config.ApproverGroups):
			return fmt.Errorf("spec.approvals: %s is not in an approver group (%s)", w.User, joinOrNone(r.Config.ApproverGroups))
		case !r.nearNow(a.Time):
			return fmt.Errorf("spec.approvals: the approval's time %s is not now (within %s)", a.Time.UTC().Format(time.RFC3339), MaxClockSkew)
		case !r.Clock.Now().Before(old.CreationTimestamp.Add(r.Config.PendingTimeout.Duration)):
			return fmt.Errorf("grant %s waited longer than %s for approval: request a new grant", old.Name, r.Config.PendingTimeout.Duration)
		case slices.ContainsFunc(n[:len(o)+i], func(p v1alpha1.Approval) bool { return p.User == a.User }):
			return fmt.Errorf("spec.approvals: %s has already approved", a.User)
		}
	}
	return nil
}

func (r *Rules) checkDenial(w Writer, old, obj *v1alpha1.BreakGlassGrant, phase v1alpha1.GrantPhase) error {
	o, n := old.Spec.Denial, obj.Spec.Denial
	switch {
	case o != nil || n == nil:
		if !equality.Semantic.DeepEqual(o, n) {
			return errors.New("spec.denial is set once and never changed or removed")
		}
		return nil
	case phase != v1alpha1.GrantPending:
		return fmt.Errorf("grant %s is %s: only a pending grant is denied (revoke an active one)", old.Name, phase)
	case n.User != w.User:
		return fmt.Errorf("spec.denial: a denial is added by the approver it names, and you are %q, not %q", w.User, n.User)
	case !r.isMember(w, r.Config.ApproverGroups):
		return fmt.Errorf("spec.denial: %s is not in an approver group (%s)", w.User, joinOrNone(r.Config.ApproverGroups))
	case n.Reason == "" || !r.nearNow(n.Time):
		return fmt.Errorf("spec.denial needs a reason and the time it is made (within %s)", MaxClockSkew)
	}
	return nil
}

func (r *Rules) checkRevocation(w Writer, old, obj *v1alpha1.BreakGlassGrant) error {
	o, n := old.Spec.Revocation, obj.Spec.Revocation
	switch {
	case o != nil || n == nil:
		if !equality.Semantic.DeepEqual(o, n) {
			return errors.New("spec.revocation is set once and never changed or removed")
		}
		return nil
	case n.User != w.User:
		return fmt.Errorf("spec.revocation: a revocation names who revokes, and you are %q, not %q", w.User, n.User)
	case !r.nearNow(n.Time):
		return fmt.Errorf("spec.revocation needs the time it is made (within %s)", MaxClockSkew)
	case w.User != old.Spec.Requester && !r.isMember(w, r.Config.ApproverGroups) && !r.isMember(w, r.Config.AdminGroups):
		return fmt.Errorf("spec.revocation: only the requester, an approver or an admin revokes a grant, and %s is none of them", w.User)
	}
	return nil
}

func (r *Rules) nearNow(t metav1.Time) bool {
	d := r.Clock.Now().Sub(t.Time)
	return !t.IsZero() && d < MaxClockSkew && d > -MaxClockSkew
}

func joinOrNone(groups []string) string {
	if len(groups) == 0 {
		return "none configured"
	}
	return fmt.Sprint(groups)
}

// written is the metadata a client writes: what the API server keeps itself (uid, resourceVersion,
// generation, timestamps, managedFields) left out, and the name, which never changes.
func written(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{GenerateName: m.GenerateName, Labels: m.Labels, Annotations: m.Annotations,
		Finalizers: m.Finalizers, OwnerReferences: m.OwnerReferences}
}

// finishesDeletion reports a write that only removes finalizers (foregroundDeletion, orphan) from
// a grant being deleted, as the garbage collector does once it has dealt with the dependents.
func finishesDeletion(old, obj *v1alpha1.BreakGlassGrant) bool {
	if old.DeletionTimestamp == nil || len(obj.Finalizers) >= len(old.Finalizers) ||
		slices.ContainsFunc(obj.Finalizers, func(f string) bool { return !slices.Contains(old.Finalizers, f) }) {
		return false
	}
	before, after := written(old.ObjectMeta), written(obj.ObjectMeta)
	before.Finalizers, after.Finalizers = nil, nil
	return equality.Semantic.DeepEqual(before, after) && equality.Semantic.DeepEqual(old.Spec, obj.Spec)
}
