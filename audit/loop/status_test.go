package loop

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
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
	// want is each condition's status and reason, "" for an absent one.
	type want struct{ ready, avail, stalled string }
	stallURL := specInvalid(errors.New(`spec.url: unsupported scheme "ftp"`))
	stallIgnore := specInvalid(errors.New(`spec.ignore: path "a..b": empty key`))
	tests := []struct {
		name         string
		res          result
		lastRevision string
		want         want
		inMsg        string
	}{
		{"audited", result{report: &audit.Report{}, revision: "abc"}, "",
			want{"True/Audited", "True/Fetched", ""}, "audited revision abc"},
		{"never fetched", result{stale: true}, "",
			want{"Unknown/NeverFetched", "Unknown/NeverFetched", ""}, "not audited yet"},
		{"fetch failed with an earlier result", result{stale: true, fetchErr: errors.New("fetch x: timeout")}, "abc",
			want{"False/Stale", "False/FetchFailed", ""}, "from revision abc and may be out of date"},
		{"spec.url cannot work", result{stale: true, fetchErr: stallURL, stalled: stallURL}, "abc",
			want{"False/InvalidSpec", "False/InvalidSpec", "True/InvalidSpec"}, `from revision abc and may be out of date; the spec cannot work: spec.url: unsupported scheme "ftp"`},
		{"bad ignore rule", result{stalled: stallIgnore, revision: "abc"}, "",
			want{"False/InvalidSpec", "True/Fetched", "True/InvalidSpec"}, "spec.ignore"},
		{"diff failed on Git's content", result{auditErr: errors.New("a.yaml: annotation driftgate.io/ignore-fields: bad"), revision: "abc"}, "abc",
			want{"False/AuditFailed", "True/Fetched", ""}, "the audit failed: a.yaml: annotation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := &v1alpha1.GitSource{ObjectMeta: metav1.ObjectMeta{Generation: 3}, Status: v1alpha1.GitSourceStatus{Revision: tt.lastRevision,
				// A Stalled condition of an earlier generation, removed unless the spec still cannot work.
				Conditions: []metav1.Condition{{Type: v1alpha1.ConditionStalled, Status: metav1.ConditionTrue, Reason: ReasonInvalidSpec, ObservedGeneration: 2}}}}
			setConditions(gs, tt.res)
			of := func(typ string) string {
				c := apimeta.FindStatusCondition(gs.Status.Conditions, typ)
				if c == nil {
					return ""
				}
				if c.ObservedGeneration != 3 {
					t.Errorf("%s: observedGeneration %d, want 3", typ, c.ObservedGeneration)
				}
				return string(c.Status) + "/" + c.Reason
			}
			got := want{of(v1alpha1.ConditionReady), of(v1alpha1.ConditionSourceAvailable), of(v1alpha1.ConditionStalled)}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if r := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady); !strings.Contains(r.Message, tt.inMsg) {
				t.Errorf("Ready message %q, want it to contain %q", r.Message, tt.inMsg)
			}
		})
	}
}

// TestConditionMessagesBounded: a long error (a Git server's output, a render's) is cut to 1 KiB
// in every condition, keeping its start and its cause.
func TestConditionMessagesBounded(t *testing.T) {
	long := errors.New("fetch https://git.example.com/fleet: " + strings.Repeat("é", 3000) + ": authorization failed")
	for name, res := range map[string]result{
		"fetch failed": {stale: true, fetchErr: long},
		"stalled":      {stale: true, fetchErr: specInvalid(long), stalled: specInvalid(long)},
		"audit failed": {auditErr: long},
	} {
		t.Run(name, func(t *testing.T) {
			gs := &v1alpha1.GitSource{}
			setConditions(gs, res)
			for _, c := range gs.Status.Conditions {
				if !strings.Contains(c.Message, "éé") {
					continue // a message without the error
				}
				if len(c.Message) > maxMessage || !utf8.ValidString(c.Message) || !strings.Contains(c.Message, "é…é") ||
					!strings.Contains(c.Message, "fetch https://git.example.com/fleet: ") || !strings.HasSuffix(c.Message, ": authorization failed") {
					t.Errorf("%s message: %d bytes (want at most %d), valid UTF-8 %t, want the start, an ellipsis and the cause: %q",
						c.Type, len(c.Message), maxMessage, utf8.ValidString(c.Message), c.Message)
				}
			}
		})
	}
}

func TestBoundMessage(t *testing.T) {
	tests := []struct {
		name, in string
		wantLen  int
	}{
		{"short", "fetched", 7},
		{"exactly the bound", strings.Repeat("a", maxMessage), maxMessage},
		{"ascii", strings.Repeat("a", 3*maxMessage), maxMessage},
		// 2-byte characters: each side of the cut backs off to a character boundary.
		{"multibyte", strings.Repeat("é", maxMessage), maxMessage - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := boundMessage(tt.in)
			cut := len(tt.in) > maxMessage
			if len(got) != tt.wantLen || !utf8.ValidString(got) || cut != strings.Contains(got, "…") ||
				cut && (got[0] != tt.in[0] || got[len(got)-1] != tt.in[len(tt.in)-1]) {
				t.Errorf("boundMessage: %d bytes, valid %t: %q; want %d bytes, an ellipsis only when cut, the ends kept",
					len(got), utf8.ValidString(got), got, tt.wantLen)
			}
		})
	}
}
