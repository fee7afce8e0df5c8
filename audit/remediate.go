package audit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// RemediationAnnotation on an object in Git says how `driftgate audit --remediate` treats it:
// RemediationAlert keeps it from being touched; its drift is only reported (seed 001's
// per-object control). The live copy is not read, as for SkipAnnotation.
const RemediationAnnotation = "driftgate.io/remediation"

// RemediationAlert is the RemediationAnnotation value that blocks remediation.
const RemediationAlert = "alert"

// Remediation actions, as the audit's remediation reports them per object.
const (
	// RemediationApply: Git's state is applied (server-side apply as driftgate).
	RemediationApply = "apply"
	// RemediationBlocked: Git marks the object driftgate.io/remediation: alert.
	RemediationBlocked = "remediation-blocked"
	// RemediationRefused: a GitOps controller owns the object; putting Git back is its job.
	RemediationRefused = "remediation-refused"
)

// Remedy is what putting one drifted or missing object back to Git takes.
type Remedy struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// Status is the object's status in the audit (drifted or missing).
	Status Status `json:"status"`
	Action string `json:"action"`
	// Reason says why an object is blocked or refused.
	Reason string `json:"reason,omitempty"`
	// Paths are the drifted paths the apply puts back (all of Git's object for a missing one).
	Paths []string `json:"paths,omitempty"`
	// Apply is the object to apply: Git's, with the live values of ignored fields (nil unless
	// Action is RemediationApply).
	Apply map[string]any `json:"-"`
	// Remove are drifted paths Git does not set that a person's tool added live: server-side
	// apply cannot take them away from another field manager, so they are removed after it.
	Remove []string `json:"remove,omitempty"`
}

// Remedies says, for each object of the report that is drifted or missing, what remediation does
// with it: block it (Git marks it alert), refuse it (a GitOps controller owns it: an ownership
// marker on either side, or a GitOps field manager in managedFields), or apply Git's object with
// the live values of the fields the audit ignores. desired and live are what the report was made
// from. Orphans are not touched: nothing in Git says to delete them.
func (d *Differ) Remedies(rep *Report, desired, live []Object) ([]Remedy, error) {
	want, have, err := d.pair(desired, live)
	if err != nil {
		return nil, err
	}
	var out []Remedy
	for _, o := range rep.Objects {
		if o.Status != Drifted && o.Status != Missing {
			continue
		}
		k := objectKey{Group: groupOf(o.APIVersion), Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
		w, ok := want[k]
		if !ok {
			return nil, fmt.Errorf("%s is in the report but not in Git", k)
		}
		r := Remedy{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Status: o.Status}
		h, isLive := have[k]
		var lp *Object
		if isLive {
			lp = &h
		}
		switch {
		case str(w.Annotations()[RemediationAnnotation]) == RemediationAlert:
			r.Action, r.Reason = RemediationBlocked, "Git marks it "+RemediationAnnotation+": "+RemediationAlert
		case d.gitOpsOwner(w, lp) != "":
			r.Action, r.Reason = RemediationRefused, d.gitOpsOwner(w, lp)+": putting Git back is that controller's job"
		default:
			r.Action = RemediationApply
			if r.Apply, r.Remove, err = d.applied(w, lp, o); err != nil {
				return nil, err
			}
		}
		for _, f := range o.Fields {
			r.Paths = append(r.Paths, f.Path)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Remedy) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

func groupOf(apiVersion string) string {
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return group
}

// gitOpsOwner names the GitOps controller that owns the object ("" when none does): an ownership
// marker on Git's copy or the live one, or a GitOps field manager of the live object.
func (d *Differ) gitOpsOwner(desired Object, live *Object) string {
	objs := []Object{desired}
	if live != nil {
		objs = append(objs, *live)
	}
	for _, o := range objs {
		if apps := d.apps(o); len(apps) > 0 {
			return fmt.Sprintf("owned by %s %s (ownership marker)", apps[0].marker, apps[0].name)
		}
	}
	if live == nil {
		return ""
	}
	ms, _ := d.managers(*live)
	for _, m := range ms {
		if m.gitops {
			return fmt.Sprintf("applied by the GitOps field manager %s", m.name)
		}
	}
	return ""
}

// applied is Git's object as remediation applies it: the paths the audit ignores on it hold
// their live values (or are left out where live has none), so the apply does not change them;
// server bookkeeping is left out. remove are the drifted paths Git does not set.
func (d *Differ) applied(desired Object, live *Object, rep ObjectReport) (map[string]any, []string, error) {
	out := copyJSON(desired.Content).(map[string]any)
	md, _ := out["metadata"].(map[string]any)
	if md != nil {
		for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink"} {
			delete(md, k)
		}
		if ns := rep.Namespace; ns != "" {
			md["namespace"] = ns
		}
	}
	delete(out, "status")
	if live == nil {
		return out, nil, nil
	}
	patterns, err := d.ignoreFor(desired, *live)
	if err != nil {
		return nil, nil, err
	}
	sch := d.schemas.ForAPIVersion(desired.APIVersion(), desired.Kind())
	found := map[string][]fieldpath.Segment{}
	matchIgnored(sch, desired.Content, nil, patterns, found)
	matchIgnored(sch, live.Content, nil, patterns, found)
	var cur any = out
	for _, p := range slices.Sorted(maps.Keys(found)) {
		segs := found[p]
		v, ok := fieldpath.Lookup(any(live.Content), segs)
		if cur, err = fieldpath.Set(cur, segs, copyJSON(v), !ok); err != nil {
			return nil, nil, fmt.Errorf("%s: keeping the live value of ignored %s: %w", desired.Source, p, err)
		}
	}
	var remove []string
	for _, f := range rep.Fields {
		if f.Desired == nil && f.Live != nil {
			remove = append(remove, f.Path)
		}
	}
	return cur.(map[string]any), remove, nil
}

// matchIgnored collects the paths of v (an object below segs) that an ignore pattern names
// exactly: a pattern covers everything below it, so the walk stops there.
func matchIgnored(sch fieldpath.Schema, v any, segs []fieldpath.Segment, patterns [][]fieldpath.Segment, found map[string][]fieldpath.Segment) {
	deeper := false
	for _, p := range patterns {
		switch {
		case len(segs) > 0 && len(p) == len(segs) && fieldpath.Matches(p, segs):
			found[fieldpath.Path(segs)] = slices.Clone(segs)
			return
		case len(p) > len(segs) && fieldpath.Matches(p[:len(segs)], segs):
			deeper = true
		}
	}
	m, ok := v.(map[string]any)
	if !deeper || !ok {
		return
	}
	for k, child := range m {
		here := append(slices.Clone(segs), fieldpath.KeySegment(k))
		list, isList := child.([]any)
		if !isList {
			matchIgnored(fieldpath.FieldOf(sch, k), child, here, patterns, found)
			continue
		}
		mergeKey, itemSch := fieldpath.ListOf(sch, k, list, list)
		if items, _, keyed := fieldpath.KeyItems(mergeKey, list, list); mergeKey != "" && keyed {
			for _, it := range items {
				matchIgnored(itemSch, it.Obj, append(slices.Clone(here), it.Segment()), patterns, found)
			}
			continue
		}
		for i, it := range list {
			matchIgnored(itemSch, it, append(slices.Clone(here), fieldpath.IndexSegment(i)), patterns, found)
		}
	}
}

// copyJSON copies decoded JSON.
func copyJSON(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}
