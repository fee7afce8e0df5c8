package loop

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
)

// Condition reasons of a GitSource.
const (
	ReasonFetched      = "Fetched"
	ReasonFetchFailed  = "FetchFailed"
	ReasonAudited      = "Audited"
	ReasonAuditFailed  = "AuditFailed"
	ReasonStale        = "Stale"
	ReasonInvalidSpec  = "InvalidSpec"
	ReasonNeverFetched = "NeverFetched"
	// Reasons of the Synced condition of a sourceRef.
	ReasonApplied     = "Applied"
	ReasonSyncFailing = "SyncFailing"
	ReasonSyncPending = "SyncPending"
	// ReasonNotReconciling: the controller has not tried what its source offers for three of its
	// intervals.
	ReasonNotReconciling = "ControllerNotReconciling"
)

// pendingStatus is a DriftedObject's status when it differs from Git only because the GitOps
// controller has not applied Git.
const pendingStatus = "pending"

// maxMessage bounds a condition's message, in bytes (the API allows 32768; errors from Git
// servers and renders can be longer, and a status is read by people).
const maxMessage = 1024

func (r *Reconciler) writeStatus(ctx context.Context, gs *v1alpha1.GitSource, res result) error {
	before := gs.DeepCopy()
	now := metav1.NewTime(r.Clock.Now())
	s := &gs.Status
	s.ObservedGeneration = gs.Generation
	s.SourceKind = "Git"
	if ref := gs.Spec.SourceRef; ref != nil {
		s.SourceKind = ref.Kind
		s.Sync = res.sync
	}
	if res.ran {
		s.LastAuditTime = &now
	}
	s.Stale = res.stale || res.stalled != nil || res.auditErr != nil
	if res.report != nil {
		s.Revision = res.revision
		s.Counts, s.DriftedObjects, s.DriftedObjectsTruncated = counts(res), drifted(res), false
		if len(s.DriftedObjects) > v1alpha1.MaxDriftedObjects {
			s.DriftedObjects, s.DriftedObjectsTruncated = s.DriftedObjects[:v1alpha1.MaxDriftedObjects], true
		}
	}
	if s.Stale {
		// Nothing is vouched in sync on stale data.
		s.Counts.InSync = 0
	} else if res.ran {
		s.LastSuccessfulAuditTime = &now
	}
	s.Counts.BackportRequired = res.backportRequired
	setConditions(gs, res)
	if !equality.Semantic.DeepEqual(before.Status, gs.Status) {
		// The patch carries the resourceVersion read: a merge patch computed from a cache that
		// has not seen the last write would leave that write's fields the patch omits (a
		// count gone to zero) beside this audit's.
		if err := r.Client.Status().Patch(ctx, gs, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return fmt.Errorf("updating the status of GitSource %s: %w", gs.Name, err)
		}
	}
	r.syncChanged(gs, before.Status.Conditions)
	return nil
}

// counts counts the report's objects; a pending object counts as pending, not as drifted,
// missing or orphaned.
func counts(res result) v1alpha1.AuditCounts {
	s := res.report.Summary
	c := v1alpha1.AuditCounts{Objects: s.Objects, InSync: s.InSync, Drifted: s.Drifted, Missing: s.Missing, Orphaned: s.Orphaned}
	for _, o := range res.report.Objects {
		if !res.pending[reportKey(o)] {
			continue
		}
		c.Pending++
		switch o.Status {
		case audit.Drifted:
			c.Drifted--
		case audit.Missing:
			c.Missing--
		case audit.Orphaned:
			c.Orphaned--
		}
	}
	return c
}

// drifted lists the objects not in sync, oldest drift first.
func drifted(res result) []v1alpha1.DriftedObject {
	var out []v1alpha1.DriftedObject
	for _, o := range res.report.Objects {
		if o.Status == audit.InSync {
			continue
		}
		d := v1alpha1.DriftedObject{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
			Status: string(o.Status), FirstSeen: metav1.NewTime(res.drifting[reportKey(o)])}
		if res.pending[reportKey(o)] {
			d.Status = pendingStatus
		}
		for _, f := range o.Fields {
			if len(d.Paths) < v1alpha1.MaxDriftedPaths {
				d.Paths = append(d.Paths, f.Path)
			}
			if f.Manager != "" && !slices.Contains(d.Managers, f.Manager) {
				d.Managers = append(d.Managers, f.Manager)
			}
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b v1alpha1.DriftedObject) int {
		if c := a.FirstSeen.Compare(b.FirstSeen.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Kind+"/"+a.Namespace+"/"+a.Name, b.Kind+"/"+b.Namespace+"/"+b.Name)
	})
	return out
}

func setConditions(gs *v1alpha1.GitSource, res result) {
	avail := metav1.Condition{Type: v1alpha1.ConditionSourceAvailable, Status: metav1.ConditionTrue,
		Reason: ReasonFetched, Message: "fetched and rendered revision " + res.revision}
	ready := metav1.Condition{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonAudited}
	outOfDate := ""
	if gs.Status.Revision != "" {
		outOfDate = "; the drift shown is from revision " + gs.Status.Revision + " and may be out of date"
	}
	switch {
	case res.stalled != nil:
		if res.fetchErr != nil {
			avail.Status, avail.Reason, avail.Message = metav1.ConditionFalse, ReasonInvalidSpec, res.fetchErr.Error()
		}
		ready.Status, ready.Reason = metav1.ConditionFalse, ReasonInvalidSpec
		ready.Message = "nothing is fetched or audited until the spec changes" + outOfDate + "; the spec cannot work: " + res.stalled.Error()
	case res.fetchErr != nil:
		avail.Status, avail.Reason, avail.Message = metav1.ConditionFalse, ReasonFetchFailed, res.fetchErr.Error()
		ready.Status, ready.Reason = metav1.ConditionFalse, ReasonStale
		ready.Message = "Git could not be fetched or rendered; nothing is reported in sync" + outOfDate
	case res.auditErr != nil:
		ready.Status, ready.Reason = metav1.ConditionFalse, ReasonAuditFailed
		ready.Message = "nothing is reported in sync" + outOfDate + "; the audit failed: " + res.auditErr.Error()
	case res.report == nil && gs.Status.Revision == "":
		avail.Status, avail.Reason, avail.Message = metav1.ConditionUnknown, ReasonNeverFetched, "not fetched yet"
		ready.Status, ready.Reason, ready.Message = metav1.ConditionUnknown, ReasonNeverFetched, "not audited yet"
	default:
		c := gs.Status.Counts
		ready.Message = fmt.Sprintf("audited revision %s: %d objects, %d drifted, %d missing, %d orphaned, %d pending, %d edits to backport",
			res.revision, c.Objects, c.Drifted, c.Missing, c.Orphaned, c.Pending, c.BackportRequired)
	}
	conds := []metav1.Condition{avail, ready}
	if gs.Spec.SourceRef != nil && res.sync != nil {
		conds = append(conds, syncedCondition(gs.Spec.SourceRef, res))
	} else {
		apimeta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionSynced)
	}
	if res.stalled != nil {
		conds = append(conds, metav1.Condition{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue,
			Reason: ReasonInvalidSpec, Message: res.stalled.Error()})
	} else {
		apimeta.RemoveStatusCondition(&gs.Status.Conditions, v1alpha1.ConditionStalled)
	}
	for _, c := range conds {
		c.ObservedGeneration, c.Message = gs.Generation, boundMessage(c.Message)
		apimeta.SetStatusCondition(&gs.Status.Conditions, c)
	}
}

// boundMessage cuts a condition message longer than maxMessage bytes in the middle, on
// character boundaries, with an ellipsis: the start (what failed) and the end (an error chain's
// cause) both stay.
func boundMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	const ellipsis = "…"
	head := (maxMessage - len(ellipsis)) / 2
	tail := len(msg) - (maxMessage - len(ellipsis) - head)
	for head > 0 && !utf8.RuneStart(msg[head]) {
		head--
	}
	for tail < len(msg) && !utf8.RuneStart(msg[tail]) {
		tail++
	}
	return msg[:head] + ellipsis + msg[tail:]
}

// syncedCondition says whether the GitOps controller applied the revision audited; while it has
// not, what differs only for that reason is pending, and no person is blamed for it.
func syncedCondition(ref *v1alpha1.GitOpsReference, res result) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: ReasonApplied,
		Message: fmt.Sprintf("%s %s/%s applied revision %s", ref.Kind, ref.Namespace, ref.Name, res.sync.AppliedRevision)}
	switch {
	case res.sync.NotReconciling:
		c.Status, c.Reason = metav1.ConditionFalse, ReasonNotReconciling
		c.Message = fmt.Sprintf("%s %s/%s has not tried the revision its source offers for %d of its intervals (attempted: %s, applied: %s): "+
			"its controller may be down or stalled; what differs from Git on its objects is pending until it reconciles",
			ref.Kind, ref.Namespace, ref.Name, stalledIntervals, orNone(res.sync.AttemptedRevision), orNone(res.sync.AppliedRevision))
	case res.sync.Failing:
		c.Status, c.Reason = metav1.ConditionFalse, ReasonSyncFailing
		c.Message = fmt.Sprintf("%s %s/%s is failing to apply revision %s (applied: %s): %s: %s; objects Git changed are pending, not drifted",
			ref.Kind, ref.Namespace, ref.Name, orNone(res.sync.AttemptedRevision), orNone(res.sync.AppliedRevision),
			res.sync.Reason, res.sync.Message)
	case res.sync.SpecPending:
		c.Status, c.Reason = metav1.ConditionFalse, ReasonSyncPending
		c.Message = fmt.Sprintf("%s %s/%s has not applied its current spec yet (applied: revision %s with an earlier spec); objects its spec changed are pending",
			ref.Kind, ref.Namespace, ref.Name, orNone(res.sync.AppliedRevision))
	case behind(res.sync, res.revision):
		c.Status, c.Reason = metav1.ConditionFalse, ReasonSyncPending
		c.Message = fmt.Sprintf("%s %s/%s has not applied revision %s yet (applied: %s); objects Git changed are pending",
			ref.Kind, ref.Namespace, ref.Name, res.revision, orNone(res.sync.AppliedRevision))
	}
	return c
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
