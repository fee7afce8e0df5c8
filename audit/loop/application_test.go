package loop

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// TestApplicationSync: what an Application's status says of its sync: applied is the last
// history entry's revision, attempted the last operation's; Failed or Error is failing, with
// Argo CD's message; several sources' revisions are joined as a Snapshot of them is.
func TestApplicationSync(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	for _, tt := range []struct {
		name   string
		status map[string]any
		want   *v1alpha1.SyncStatus
	}{{
		name: "synced",
		status: map[string]any{"history": []any{map[string]any{"revision": b}, map[string]any{"revision": a}},
			"operationState": map[string]any{"phase": "Succeeded", "syncResult": map[string]any{"revision": a}}},
		want: &v1alpha1.SyncStatus{AppliedRevision: a, AttemptedRevision: a},
	}, {
		name: "failing",
		status: map[string]any{"history": []any{map[string]any{"revision": a}},
			"operationState": map[string]any{"phase": "Failed", "message": "one or more objects failed to apply", "syncResult": map[string]any{"revision": b}}},
		want: &v1alpha1.SyncStatus{AppliedRevision: a, AttemptedRevision: b, Failing: true, Reason: "SyncFailed", Message: "one or more objects failed to apply"},
	}, {
		name: "retrying a failed attempt",
		status: map[string]any{"history": []any{map[string]any{"revision": a}},
			"operationState": map[string]any{"phase": "Running", "retryCount": int64(2), "message": "one or more synchronization tasks are not valid. Retrying attempt #2",
				"syncResult": map[string]any{"revision": b}}},
		want: &v1alpha1.SyncStatus{AppliedRevision: a, AttemptedRevision: b, Failing: true, Reason: "SyncRetrying",
			Message: "one or more synchronization tasks are not valid. Retrying attempt #2"},
	}, {
		name:   "an error before any result",
		status: map[string]any{"operationState": map[string]any{"phase": "Error", "message": "ComparisonError", "operation": map[string]any{"sync": map[string]any{"revision": b}}}},
		want:   &v1alpha1.SyncStatus{AttemptedRevision: b, Failing: true, Reason: "SyncError", Message: "ComparisonError"},
	}, {
		name: "running, several sources",
		status: map[string]any{"history": []any{map[string]any{"revisions": []any{a, b}}},
			"operationState": map[string]any{"phase": "Running", "operation": map[string]any{"sync": map[string]any{"revisions": []any{b, b}}}}},
		want: &v1alpha1.SyncStatus{AppliedRevision: "aaaaaaaaaaaa,bbbbbbbbbbbb", AttemptedRevision: "bbbbbbbbbbbb,bbbbbbbbbbbb"},
	}, {
		name: "never synced",
		want: &v1alpha1.SyncStatus{},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{"status": tt.status}}
			if tt.status == nil {
				u.Object = map[string]any{}
			}
			if diff := cmp.Diff(tt.want, applicationSync(u)); diff != "" {
				t.Errorf("sync (-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplicationInAnotherCluster: an Application that deploys to another cluster than the one
// Argo CD runs in is not audited, saying so: its objects are not here.
func TestApplicationInAnotherCluster(t *testing.T) {
	for _, tt := range []struct {
		dest map[string]any
		want string
	}{
		{map[string]any{"server": "https://kubernetes.default.svc", "namespace": "shop"}, ""},
		{map[string]any{"name": "in-cluster"}, ""},
		{map[string]any{"server": "https://prod.example.com:6443"}, "deploys to another cluster (spec.destination.server https://prod.example.com:6443)"},
		{map[string]any{"name": "prod"}, "deploys to another cluster (spec.destination.name prod)"},
	} {
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"destination": tt.dest}}}
		got := ""
		if err := inCluster(u); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("destination %v: %q, want %q", tt.dest, got, tt.want)
		}
	}
}
