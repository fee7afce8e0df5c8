package loop

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	rep := &audit.Report{Objects: []audit.ObjectReport{
		{Kind: "Deployment", Namespace: "prod", Name: "a", Status: audit.Drifted},
		{Kind: "Deployment", Namespace: "prod", Name: "b", Status: audit.Missing},
		{Kind: "Deployment", Namespace: "prod", Name: "c", Status: audit.InSync},
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "d", Status: audit.Drifted},
	}}
	pending := map[live.Key]bool{reportKey(rep.Objects[3]): true}
	now := time.Unix(1_800_000_000, 0)
	m.observeAudit("fleet", rep, nil, 20*time.Millisecond, "abc123", now)
	m.observeAudit("fleet", rep, pending, 20*time.Millisecond, "def456", now) // a new revision replaces the old
	m.observeSync("fleet", &metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: ReasonSyncFailing})
	m.observeSync("shop", &metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionFalse, Reason: ReasonSyncPending})
	m.observeSync("shop", &metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: ReasonApplied})
	m.observeBackports(map[string]backlog{"INC-1": backlog{}.add(now).add(now.Add(-time.Hour))})
	want := `
# HELP driftgate_audit_drifted_objects Objects out of sync with Git (drifted, missing or orphaned) at the last audit, by source, namespace and kind.
# TYPE driftgate_audit_drifted_objects gauge
driftgate_audit_drifted_objects{kind="Deployment",namespace="prod",source="fleet"} 2
# HELP driftgate_audit_pending_objects Objects that differ from Git only because the source's GitOps controller has not applied the revision audited (its sync failing or pending, or the controller not reconciling), at the last audit, by source, namespace and kind; not counted as drifted.
# TYPE driftgate_audit_pending_objects gauge
driftgate_audit_pending_objects{kind="Deployment",namespace="prod",source="fleet"} 1
# HELP driftgate_source_not_synced 1 while the GitOps controller of a discovered source has not applied what Git declares, by source and the Synced condition's reason (SyncFailing, SyncPending, ControllerNotReconciling).
# TYPE driftgate_source_not_synced gauge
driftgate_source_not_synced{reason="SyncFailing",source="fleet"} 1
# HELP driftgate_audit_revision_info The Git revision last audited, by source (value 1).
# TYPE driftgate_audit_revision_info gauge
driftgate_audit_revision_info{revision="def456",source="fleet"} 1
# HELP driftgate_backport_required_edits Break-glass edits whose backport state is Required, by ticket.
# TYPE driftgate_backport_required_edits gauge
driftgate_backport_required_edits{ticket="INC-1"} 2
# HELP driftgate_backport_required_oldest_timestamp_seconds Unix time the oldest break-glass edit still Required was made, by ticket (alert on its age).
# TYPE driftgate_backport_required_oldest_timestamp_seconds gauge
driftgate_backport_required_oldest_timestamp_seconds{ticket="INC-1"} 1.7999964e+09
# HELP driftgate_audit_last_success_timestamp_seconds Unix time of the last audit against freshly fetched Git data, by source.
# TYPE driftgate_audit_last_success_timestamp_seconds gauge
driftgate_audit_last_success_timestamp_seconds{source="fleet"} 1.8e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "driftgate_audit_drifted_objects",
		"driftgate_audit_pending_objects", "driftgate_source_not_synced",
		"driftgate_audit_revision_info", "driftgate_backport_required_edits", "driftgate_backport_required_oldest_timestamp_seconds",
		"driftgate_audit_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	m.forget("fleet")
	for name, v := range map[string]*prometheus.GaugeVec{"drifted": m.drifted, "pending": m.pending, "not synced": m.notSynced} {
		if n := testutil.CollectAndCount(v); n != 0 {
			t.Errorf("after forget: %d %s series, want 0", n, name)
		}
	}
}
