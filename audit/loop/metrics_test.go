package loop

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/driftgate/driftgate/audit"
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
	}}
	now := time.Unix(1_800_000_000, 0)
	m.observeAudit("fleet", rep, 20*time.Millisecond, "abc123", now)
	m.observeAudit("fleet", rep, 20*time.Millisecond, "def456", now) // a new revision replaces the old
	m.observeBackports(map[string]backlog{"INC-1": backlog{}.add(now).add(now.Add(-time.Hour))})
	want := `
# HELP driftgate_audit_drifted_objects Objects out of sync with Git (drifted, missing or orphaned) at the last audit, by source, namespace and kind.
# TYPE driftgate_audit_drifted_objects gauge
driftgate_audit_drifted_objects{kind="Deployment",namespace="prod",source="fleet"} 2
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
		"driftgate_audit_revision_info", "driftgate_backport_required_edits", "driftgate_backport_required_oldest_timestamp_seconds",
		"driftgate_audit_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	m.forget("fleet")
	if n := testutil.CollectAndCount(m.drifted); n != 0 {
		t.Errorf("after forget: %d drifted series, want 0", n)
	}
}
