package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// findEdit names the ticket's record that changed a path ending in suffix to value.
func findEdit(edits []v1alpha1.BreakGlassEdit, suffix, value string) (string, error) {
	for _, e := range edits {
		if slices.ContainsFunc(e.Spec.Changes, func(c v1alpha1.FieldChange) bool {
			return strings.HasSuffix(c.Path, suffix) && newValue(c) == value
		}) {
			return e.Name, nil
		}
	}
	return "", fmt.Errorf("no record of the write that set *%s to %s among the %d edits of %s", suffix, value, len(edits), ticket)
}

// newValue is a change's new value when it is a string.
func newValue(c v1alpha1.FieldChange) string {
	var s string
	if c.New == nil || json.Unmarshal(c.New.Raw, &s) != nil {
		return ""
	}
	return s
}

// audited reports whether the audit has looked at the edit and found it in want.
func audited(e *v1alpha1.BreakGlassEdit, want v1alpha1.BackportState) bool {
	return e.Status.ObservedGeneration > 0 && e.Status.Backport == want
}

// describeEdit is an edit's state for a wait's "last seen".
func describeEdit(e *v1alpha1.BreakGlassEdit) string {
	return fmt.Sprintf("edit %s %s (observed generation %d, revision %q)", e.Name, e.Status.Backport, e.Status.ObservedGeneration, e.Status.Revision)
}

// describeSource is a GitSource's state for a wait's "last seen".
func describeSource(gs *v1alpha1.GitSource) string {
	ready := "unknown"
	for _, c := range gs.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			ready = fmt.Sprintf("%s (%s)", c.Status, c.Message)
		}
	}
	cs := gs.Status.Counts
	return fmt.Sprintf("GitSource %s revision %q, Ready %s, %d in sync, %d drifted, %d missing, %d to backport",
		gs.Name, gs.Status.Revision, ready, cs.InSync, cs.Drifted, cs.Missing, cs.BackportRequired)
}

// sourceReady reports whether the GitSource's last audit ran on fresh Git data.
func sourceReady(gs *v1alpha1.GitSource) bool {
	for _, c := range gs.Status.Conditions {
		if c.Type == v1alpha1.ConditionReady {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}
