package loop

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

func TestDriftedListsOldestFirstWithBoundedPaths(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	many := make([]audit.Field, 25)
	for i := range many {
		many[i] = audit.Field{Path: "data.k" + strings.Repeat("x", i), Manager: "kubectl-edit"}
	}
	rep := &audit.Report{Objects: []audit.ObjectReport{
		{APIVersion: "v1", Kind: "ConfigMap", Namespace: "prod", Name: "new", Status: audit.Drifted, Fields: many},
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web", Status: audit.InSync},
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "old", Status: audit.Missing},
	}}
	res := result{report: rep, drifting: map[live.Key]time.Time{
		{Kind: "ConfigMap", Namespace: "prod", Name: "new"}:                 t0.Add(time.Minute),
		{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "old"}: t0,
	}}
	got := drifted(res)
	if len(got) != 2 || got[0].Name != "old" || got[1].Name != "new" {
		t.Fatalf("drifted = %+v, want old (missing) then new", got)
	}
	if len(got[1].Paths) != v1alpha1.MaxDriftedPaths || !cmp.Equal(got[1].Managers, []string{"kubectl-edit"}) {
		t.Errorf("paths %d (want %d), managers %v (want [kubectl-edit])", len(got[1].Paths), v1alpha1.MaxDriftedPaths, got[1].Managers)
	}
	if !got[0].FirstSeen.Equal(&metav1.Time{Time: t0}) {
		t.Errorf("first seen %v, want %v", got[0].FirstSeen, t0)
	}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name               string
		res                result
		lastRevision       string
		ready, avail       metav1.ConditionStatus
		readyReason, inMsg string
	}{
		{"audited", result{report: &audit.Report{}, revision: "abc"}, "", metav1.ConditionTrue, metav1.ConditionTrue, ReasonAudited, "audited revision abc"},
		{"never fetched", result{stale: true}, "", metav1.ConditionUnknown, metav1.ConditionUnknown, ReasonNeverFetched, "not audited yet"},
		{"fetch failed with an earlier result", result{stale: true, fetchErr: errors.New("fetch x: timeout")}, "abc",
			metav1.ConditionFalse, metav1.ConditionFalse, ReasonStale, "from revision abc and may be out of date"},
		{"bad ignore rule", result{invalid: errors.New("spec.ignore: path \"a..b\": empty key")}, "",
			metav1.ConditionFalse, metav1.ConditionTrue, ReasonInvalidSpec, "spec.ignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := &v1alpha1.GitSource{Status: v1alpha1.GitSourceStatus{Revision: tt.lastRevision}}
			setConditions(gs, tt.res)
			got := map[string]metav1.Condition{}
			for _, c := range gs.Status.Conditions {
				got[c.Type] = c
			}
			r, a := got[v1alpha1.ConditionReady], got[v1alpha1.ConditionSourceAvailable]
			if r.Status != tt.ready || a.Status != tt.avail || r.Reason != tt.readyReason || !strings.Contains(r.Message, tt.inMsg) {
				t.Errorf("Ready %s/%s %q, SourceAvailable %s; want %s/%s containing %q, %s",
					r.Status, r.Reason, r.Message, a.Status, tt.ready, tt.readyReason, tt.inMsg, tt.avail)
			}
		})
	}
}

func TestFileOf(t *testing.T) {
	for src, want := range map[string]string{
		"apps/web.yaml (document 2)":                    "apps/web.yaml",
		"list.yaml (document 1) items[3]":               "list.yaml",
		"apps/kustomization.yaml (Deployment/prod/web)": "apps/kustomization.yaml",
		"checkout.yaml":                                 "checkout.yaml",
	} {
		if got := fileOf(src); got != want {
			t.Errorf("fileOf(%q) = %q, want %q", src, got, want)
		}
	}
}
