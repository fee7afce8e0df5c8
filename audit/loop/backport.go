package loop

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/internal/logkeys"
)

// ConditionBackportTracked is the edits' condition saying whether the audit decides their
// backport state: False with ReasonSkippedInGit when Git marks the object driftgate.io/skip:
// "true". Such an edit stays Required (nothing decided it) and the report lists it apart, to be
// closed by a person's decision.
const (
	ConditionBackportTracked = v1alpha1.BackportTracked
	ReasonSkippedInGit       = v1alpha1.SkippedInGit
)

// noTicket labels the backport metric of edits made without a ticket (warn mode).
const noTicket = "(none)"

// backportPass is what one pass over the open edits found.
type backportPass struct {
	// required counts, per source, the edits of its objects still Required.
	required map[string]int
	// landing is set when a new edit's write is not visible live yet and its landing grace has
	// not passed: the loop looks again within a second rather than on the source's interval.
	landing bool
}

// trackBackports resolves the Required edits whose object the source defines (and those of
// objects no source defines), and counts, per source, the edits of its objects still Required.
func (r *Reconciler) trackBackports(ctx context.Context, source string) (backportPass, error) {
	var list v1alpha1.BreakGlassEditList
	if err := r.Client.List(ctx, &list); err != nil {
		return backportPass{}, fmt.Errorf("listing break-glass edits: %w", err)
	}
	d, err := r.baseDiffer()
	if err != nil {
		return backportPass{}, err
	}
	pass := backportPass{required: map[string]int{}}
	byTicket := map[string]backlog{}
	for i := range list.Items {
		e := &list.Items[i]
		if !e.Open() {
			continue
		}
		landing, err := r.resolve(ctx, d, e, source, list.Items)
		if apierrors.IsConflict(err) {
			// Another writer (the self-heal protector) changed the edit since the cache saw it:
			// decide again on the API server's copy.
			if err = r.APIReader.Get(ctx, client.ObjectKeyFromObject(e), e); err == nil {
				landing, err = r.resolve(ctx, d, e, source, list.Items)
			}
		}
		switch {
		case apierrors.IsConflict(err):
			landing = true // changed again meanwhile: decided within a second
		case err != nil:
			r.Log.Error(err, "resolving the backport state failed", logkeys.Name, e.Name)
		}
		pass.landing = pass.landing || landing
		if e.Open() {
			pass.required[e.Status.GitSource]++
			byTicket[ticketOf(e)] = byTicket[ticketOf(e)].add(e.CreationTimestamp.Time)
		}
	}
	r.Metrics.observeBackports(byTicket)
	return pass, nil
}

// baseDiffer decides edits, and checks the config's ignore rules: it has the config's options
// and no source's (built on first use).
func (r *Reconciler) baseDiffer() (*audit.Differ, error) {
	if r.editDiffer == nil {
		d, err := audit.New(r.differOptions(&v1alpha1.GitSource{}))
		if err != nil {
			return nil, fmt.Errorf("audit configuration: %w", err)
		}
		r.editDiffer = d
	}
	return r.editDiffer, nil
}

func ticketOf(e *v1alpha1.BreakGlassEdit) string {
	if e.Spec.Ticket == "" {
		return noTicket
	}
	return e.Spec.Ticket
}

// resolve decides one edit against the source that defines its object. It decides nothing
// while that source (or, for an object no source defines, any source) is stale. all are every
// edit, where a later write that put Git's values back is found. landing reports an edit left
// undecided because its write may still land.
func (r *Reconciler) resolve(ctx context.Context, d *audit.Differ, e *v1alpha1.BreakGlassEdit, source string, all []v1alpha1.BreakGlassEdit) (landing bool, err error) {
	ref := e.Spec.Object
	k := objectKey(ref.APIVersion, ref.Kind, ref.Namespace, ref.Name)
	defs, anyStale := r.state.lookup(k)
	slices.SortFunc(defs, func(a, b definer) int { return strings.Compare(a.source, b.source) })
	var def definer
	switch {
	case len(defs) > 0 && (defs[0].stale || defs[0].source != source):
		return false, nil // decided by the defining source's own audit
	case len(defs) > 0:
		def = defs[0]
	case anyStale || len(r.state.names()) == 0:
		return false, nil
	}
	if len(defs) > 0 && audit.Skipped(def.object) {
		return false, r.markSkipped(ctx, e, def)
	}
	liveObj, err := r.liveObject(ctx, ref, k, len(defs) > 0)
	if err != nil {
		return false, err
	}
	var desired *audit.Object
	if len(defs) > 0 {
		desired = &def.object
	}
	if retry := audit.RetriedAs(e, all); retry != nil {
		return false, r.writeEditStatus(ctx, e, def, audit.Resolution{State: audit.BackportNotApplied,
			Reason: "the API server retried the write after a conflict; the retry is recorded as " + retry.Name}, nil)
	}
	edit := audit.EditOf(e)
	firstLook := e.Status.ObservedGeneration == 0
	if firstLook && !audit.Landed(edit, liveObj) {
		if r.Clock.Since(e.Spec.Time.Time) < audit.LandingGrace {
			// The record is written before the write lands (or fails): wait for the watch.
			return true, nil
		}
		never, err := r.neverLanded(ctx, e)
		if err != nil {
			return false, err
		}
		if never != "" {
			return false, r.writeEditStatus(ctx, e, def, audit.Resolution{State: audit.BackportNotApplied, Reason: never}, nil)
		}
	}
	res, err := d.Backport(edit, desired, liveObj)
	if err != nil {
		return false, err
	}
	restored := firstLook && res.State == audit.BackportDone
	if restored {
		// Resolved at first sight: the write put back Git's values; nothing was backported.
		res = audit.Resolution{State: audit.BackportReverted, Reason: "the write restored Git's values"}
	}
	var by *v1alpha1.Reverter
	if res.State == audit.BackportReverted && !restored {
		// Also at first sight: a GitOps controller may have undone the write before the audit
		// looked.
		if by, err = r.revertedBy(ctx, d, e, all); err != nil {
			return false, err
		}
	}
	return false, r.writeEditStatus(ctx, e, def, res, by)
}

// revertedBy says who put Git's values back over e. The object is read from the API server:
// the watches keep no managedFields times.
func (r *Reconciler) revertedBy(ctx context.Context, d *audit.Differ, e *v1alpha1.BreakGlassEdit, all []v1alpha1.BreakGlassEdit) (*v1alpha1.Reverter, error) {
	u, err := r.readObject(ctx, e.Spec.Object)
	if err != nil {
		return nil, err
	}
	var live *audit.Object
	if u != nil {
		live = &audit.Object{Source: "live", Content: u.Object}
	}
	return d.RevertedBy(e, all, live), nil
}

// liveObject is the edited object as it is now: from the watches when a source declares its
// kind, else read once from the API server. Nil when it does not exist.
func (r *Reconciler) liveObject(ctx context.Context, ref v1alpha1.ObjectReference, k live.Key, watched bool) (*audit.Object, error) {
	if watched {
		if o, ok := r.Live.Get(k); ok {
			return &o, nil
		}
		return nil, nil
	}
	u, err := r.readObject(ctx, ref)
	if err != nil || u == nil {
		return nil, err
	}
	return &audit.Object{Source: "live", Content: u.Object}, nil
}

// readObject reads the object ref names from the API server; nil when it does not exist.
func (r *Reconciler) readObject(ctx context.Context, ref v1alpha1.ObjectReference) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(ref.APIVersion)
	u.SetKind(ref.Kind)
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s %s/%s: %w", ref.Kind, ref.Namespace, ref.Name, err)
	}
	return u, nil
}

// markSkipped records that the audit does not decide e: Git marks its object driftgate.io/skip.
// The edit keeps its state; the source and file that define the object are recorded as usual.
func (r *Reconciler) markSkipped(ctx context.Context, e *v1alpha1.BreakGlassEdit, def definer) error {
	before := e.DeepCopy()
	s := &e.Status
	s.Backport, s.GitSource, s.File, s.ObservedGeneration = v1alpha1.BackportRequired, def.source, def.object.File(), e.Generation
	apimeta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: ConditionBackportTracked, Status: metav1.ConditionFalse,
		Reason: ReasonSkippedInGit, ObservedGeneration: e.Generation,
		Message: "Git marks the object " + audit.SkipAnnotation + `: "true": the audit does not decide this edit; close it by decision`})
	if equality.Semantic.DeepEqual(before.Status, e.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, e, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating the backport state of %s: %w", e.Name, err)
	}
	r.Log.Info("backport not tracked: the object is skipped in Git", logkeys.Name, e.Name, logkeys.Ticket, e.Spec.Ticket, logkeys.Source, def.source)
	return nil
}

func (r *Reconciler) writeEditStatus(ctx context.Context, e *v1alpha1.BreakGlassEdit, def definer, res audit.Resolution, by *v1alpha1.Reverter) error {
	before := e.DeepCopy()
	s := &e.Status
	s.Backport = v1alpha1.BackportState(res.State)
	s.OpenPaths = res.Open
	s.GitSource = def.source
	s.File = def.object.FileFor(res.Open)
	s.ObservedGeneration = e.Generation
	s.RevertedBy = by
	apimeta.RemoveStatusCondition(&s.Conditions, ConditionBackportTracked) // decided again: Git no longer skips it
	if res.State != audit.BackportRequired {
		now := metav1.NewTime(r.Clock.Now())
		s.ResolvedAt = &now
		if res.State == audit.BackportDone {
			s.Revision = def.revision
		}
	}
	if equality.Semantic.DeepEqual(before.Status, e.Status) {
		return nil
	}
	// Locked: the self-heal protector writes its condition to the same status.
	if err := r.Client.Status().Patch(ctx, e, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("updating the backport state of %s: %w", e.Name, err)
	}
	r.Log.Info("backport state", logkeys.Name, e.Name, logkeys.Ticket, e.Spec.Ticket, logkeys.Phase, res.State,
		logkeys.Source, def.source, logkeys.Revision, def.revision, logkeys.Reason, res.Reason, logkeys.RevertedBy, by.String())
	return nil
}

// neverLanded says why the recorded update or delete never happened, or "" when it may have
// (and was then undone): the object is gone or another object by now (its uid), or it still has
// the version the write would have replaced. Read from the API server, not the watches, which
// keep no versions.
func (r *Reconciler) neverLanded(ctx context.Context, e *v1alpha1.BreakGlassEdit) (string, error) {
	ref := e.Spec.Object
	if e.Spec.Operation == "CREATE" || ref.ResourceVersion == "" {
		return "", nil
	}
	u, err := r.readObject(ctx, ref)
	switch {
	case err != nil:
		return "", err
	case u == nil:
		if e.Spec.Operation == "DELETE" {
			return "", nil
		}
		return "the object it updated does not exist", nil
	case ref.UID != "" && string(u.GetUID()) != ref.UID:
		if e.Spec.Operation == "DELETE" {
			return "", nil // deleted, and made again since
		}
		return "the object it updated is not the one there now (another uid)", nil
	case u.GetResourceVersion() == ref.ResourceVersion:
		return "the object is still at the version the write would have replaced", nil
	}
	return "", nil
}
