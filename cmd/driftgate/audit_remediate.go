package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/backport"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// remediationFieldManager is the field manager of `driftgate audit --remediate`'s writes.
const remediationFieldManager = "driftgate"

// remediationFailed is the action of an object whose remediation write failed.
const remediationFailed = "remediation-failed"

// remediationOutput is the audit's JSON with --remediate: the report and what was done.
type remediationOutput struct {
	*audit.Report
	Remediation remediationResult `json:"remediation"`
}

type remediationResult struct {
	DryRun  bool           `json:"dryRun"`
	Objects []audit.Remedy `json:"objects"`
}

// remediateAndReport diffs, applies Git's state to what drifted or is missing (as dry runs
// unless --dry-run=false), and reports both.
func remediateAndReport(ctx context.Context, out io.Writer, o *auditOptions, differ *audit.Differ, desired, liveObjs []audit.Object) error {
	rep, err := differ.Diff(desired, liveObjs)
	if err != nil {
		return fmt.Errorf("diffing: %w", err)
	}
	remedies, err := differ.Remedies(rep, desired, liveObjs)
	if err != nil {
		return fmt.Errorf("planning the remediation: %w", err)
	}
	w, err := newRemediator(&o.kube, o.dryRun)
	if err != nil {
		return err
	}
	failed := false
	for i := range remedies {
		r := &remedies[i]
		if r.Action != audit.RemediationApply {
			continue
		}
		if err := w.apply(ctx, r); err != nil {
			if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) && !errors.Is(err, errRemediation) {
				return err
			}
			r.Action, r.Reason, failed = remediationFailed, oneLine(err), true
		}
	}
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(remediationOutput{Report: rep, Remediation: remediationResult{DryRun: o.dryRun, Objects: remedies}}); err != nil {
			return fmt.Errorf("writing the JSON report: %w", err)
		}
	} else {
		if err := writeReport(out, rep, "text"); err != nil {
			return err
		}
		writeRemediation(out, remedies, o.dryRun)
	}
	switch {
	case failed:
		return exitCode(2)
	case o.failOnDrift && driftLeft(rep, remedies, o.dryRun):
		return exitCode(1)
	}
	return nil
}

// driftLeft reports whether drift remains after the remediation: an orphan, an object blocked
// or refused, or anything at all after a dry run.
func driftLeft(rep *audit.Report, remedies []audit.Remedy, dryRun bool) bool {
	if dryRun {
		return rep.HasDrift()
	}
	if rep.Summary.Orphaned > 0 {
		return true
	}
	for _, r := range remedies {
		if r.Action != audit.RemediationApply {
			return true
		}
	}
	return false
}

func writeRemediation(out io.Writer, remedies []audit.Remedy, dryRun bool) {
	var b strings.Builder
	switch {
	case len(remedies) == 0:
		b.WriteString("remediation: nothing drifted or missing\n")
	case dryRun:
		b.WriteString("remediation (server dry run, nothing changed; --dry-run=false applies):\n")
	default:
		b.WriteString("remediation:\n")
	}
	for _, r := range remedies {
		obj := r.Kind + " " + r.Name
		if r.Namespace != "" {
			obj = r.Kind + " " + r.Namespace + "/" + r.Name
		}
		action := r.Action
		if action == audit.RemediationApply {
			action = "applied"
			if dryRun {
				action = "would apply"
			}
		}
		fmt.Fprintf(&b, "  %-19s %s", action, obj)
		switch {
		case r.Reason != "":
			fmt.Fprintf(&b, ": %s", r.Reason)
		case r.Status == audit.Missing:
			b.WriteString(": created as Git defines it")
		case len(r.Paths) > 0:
			fmt.Fprintf(&b, ": %s", strings.Join(r.Paths, ", "))
		}
		b.WriteString("\n")
	}
	_, _ = io.WriteString(out, b.String())
}

// errRemediation marks a remediation that cannot be written (said per object, not an error of
// the whole audit).
var errRemediation = errors.New("cannot remediate")

// remediator writes Git's state to the cluster.
type remediator struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	dryRun bool
}

func newRemediator(kube *kubeFlags, dryRun bool) (*remediator, error) {
	dyn, mapper, err := kube.dynamic()
	if err != nil {
		return nil, err
	}
	return &remediator{dyn: dyn, mapper: mapper, dryRun: dryRun}, nil
}

// apply server-side applies the remedy's object as driftgate, forcing ownership of the fields
// it sets, then removes the fields a person's tool added that Git does not set (server-side
// apply cannot take those from another manager) with an update at the version read.
func (w *remediator) apply(ctx context.Context, r *audit.Remedy) error {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return fmt.Errorf("%w: apiVersion %q: %v", errRemediation, r.APIVersion, err)
	}
	m, err := w.mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: r.Kind}, gv.Version)
	if err != nil {
		return fmt.Errorf("%w: the cluster does not serve %s %s", errRemediation, r.APIVersion, r.Kind)
	}
	var res dynamic.ResourceInterface = w.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		res = w.dyn.Resource(m.Resource).Namespace(r.Namespace)
	}
	var dry []string
	if w.dryRun {
		dry = []string{metav1.DryRunAll}
	}
	obj := &unstructured.Unstructured{Object: r.Apply}
	if _, err := res.Apply(ctx, r.Name, obj, metav1.ApplyOptions{FieldManager: remediationFieldManager, Force: true, DryRun: dry}); err != nil {
		return fmt.Errorf("applying %s: %w", r.Name, err)
	}
	if len(r.Remove) == 0 {
		return nil
	}
	live, err := res.Get(ctx, r.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading %s: %w", r.Name, err)
	}
	content := any(live.Object)
	for _, p := range r.Remove {
		segs, err := fieldpath.Parse(p)
		if err != nil {
			return fmt.Errorf("%w: path %s: %v", errRemediation, p, err)
		}
		if content, err = backport.SetIn(content, segs, nil, true); err != nil {
			return fmt.Errorf("%w: removing %s: %v", errRemediation, p, err)
		}
	}
	live.Object = content.(map[string]any)
	if _, err := res.Update(ctx, live, metav1.UpdateOptions{FieldManager: remediationFieldManager, DryRun: dry}); err != nil {
		return fmt.Errorf("removing what Git does not set from %s: %w", r.Name, err)
	}
	return nil
}
