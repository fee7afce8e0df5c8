package report

import (
	"encoding/json"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// secretValues are the fixture's Secret values: none of them may appear in any report.
func secretValues() []string { return []string{"hunter2-old-value", "s3cr3t-new-value", "czNjcjN0"} }

func at(t testing.TB, s string) metav1.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return metav1.NewTime(tm)
}

func atp(t testing.TB, s string) *metav1.Time {
	m := at(t, s)
	return &m
}

func raw(t testing.TB, v any) *apiextensionsv1.JSON {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &apiextensionsv1.JSON{Raw: b}
}

func grant(t testing.TB, name, ticket string, approvers ...string) v1alpha1.BreakGlassGrant {
	g := v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: at(t, "2026-11-21T10:00:00Z")},
		Spec: v1alpha1.BreakGlassGrantSpec{
			Requester: "alice", Reason: "checkout pods OOMKilled, raising the memory limit", Ticket: ticket,
			Scope:    v1alpha1.GrantScope{Namespaces: []string{"prod"}, Resources: []string{"secrets", "deployments.apps", "configmaps"}},
			Duration: metav1.Duration{Duration: time.Hour},
		},
		Status: v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantExpired,
			ActivatedAt: atp(t, "2026-11-21T10:02:01Z"), ExpiresAt: atp(t, "2026-11-21T11:02:01Z")},
	}
	for _, a := range approvers {
		g.Spec.Approvals = append(g.Spec.Approvals, v1alpha1.Approval{User: a, Time: at(t, "2026-11-21T10:02:00Z"), Comment: "paged in, agreed"})
	}
	return g
}

type change struct {
	path     string
	old, new any
}

func edit(t testing.TB, name, grantName, ticket, when, kind, objName string, changes ...change) v1alpha1.BreakGlassEdit {
	apiVersion, resource := "apps/v1", "deployments.apps"
	switch kind {
	case "ConfigMap":
		apiVersion, resource = "v1", "configmaps"
	case "Secret":
		apiVersion, resource = "v1", "secrets"
	}
	e := v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.BreakGlassEditSpec{
			Grant: grantName, Ticket: ticket, User: "alice", Time: at(t, when), Operation: "UPDATE", Mode: "enforce",
			Object:     v1alpha1.ObjectReference{APIVersion: apiVersion, Kind: kind, Resource: resource, Namespace: "prod", Name: objName, UID: "uid-" + objName},
			RequestUID: "req-" + name,
		},
		Status: v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired},
	}
	for _, c := range changes {
		e.Spec.Changes = append(e.Spec.Changes, v1alpha1.FieldChange{Path: c.path, Old: raw(t, c.old), New: raw(t, c.new)})
	}
	return e
}

func backported(t testing.TB, e v1alpha1.BreakGlassEdit, revision, when string) v1alpha1.BreakGlassEdit {
	e.Status = v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.Backported, Revision: revision, ResolvedAt: atp(t, when),
		GitSource: "prod-apps", File: "apps/checkout/deployment.yaml"}
	return e
}

func reverted(t testing.TB, e v1alpha1.BreakGlassEdit, when string) v1alpha1.BreakGlassEdit {
	e.Status = v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.Reverted, ResolvedAt: atp(t, when), GitSource: "prod-apps"}
	return e
}

const (
	grantName = "inc-4242-alice-x7k2p"
	memPath   = "spec.template.spec.containers[name=app].resources.limits.memory"
	envPath   = "spec.template.spec.containers[name=app].env[name=DEBUG]"
)

// fixture: an expired grant approved by bob; a Backported, a Reverted (by alice), one undone by
// Flux and a Required edit; a
// Secret edit whose values the recorder failed to mask (the report must); other drift on the
// edited Deployment; a stale source with drift on the Secret.
func fixture(t testing.TB) Input {
	required := edit(t, grantName+"-req3", grantName, "INC-4242", "2026-11-21T10:20:00Z", "Deployment", "checkout",
		change{"spec.replicas", 2, 4}, change{envPath, nil, map[string]any{"name": "DEBUG", "value": "1"}})
	required.Status.GitSource, required.Status.File = "prod-apps", "apps/checkout/deployment.yaml"
	required.Status.OpenPaths = []string{envPath, "spec.replicas"}
	required.Status.Conditions = []metav1.Condition{{Type: v1alpha1.SelfHealProtected, Status: metav1.ConditionTrue, Reason: "Held",
		Message: "driftgate set kustomize.toolkit.fluxcd.io/reconcile: disabled on Deployment prod/checkout: Flux leaves it alone until every edit of it is resolved"}}
	lastApplied := `{"apiVersion":"v1","kind":"Secret","data":{"password":"czNjcjN0"}}`
	return Input{
		Ticket: "INC-4242",
		Now:    at(t, "2026-11-21T12:00:00Z").Time,
		Grants: []v1alpha1.BreakGlassGrant{grant(t, grantName, "INC-4242", "bob"), grant(t, "inc-9-carol", "INC-9", "bob")},
		Edits: []v1alpha1.BreakGlassEdit{
			edit(t, grantName+"-req4", grantName, "INC-4242", "2026-11-21T10:30:00Z", "Secret", "checkout-db",
				change{"data.password", "hunter2-old-value", "s3cr3t-new-value"},
				change{`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, nil, lastApplied}),
			required,
			revertedBy(reverted(t, edit(t, grantName+"-req2", grantName, "INC-4242", "2026-11-21T10:10:00Z", "ConfigMap", "checkout-config",
				change{"data.LOG_LEVEL", "info", "debug"}), "2026-11-21T11:45:00Z"),
				v1alpha1.Reverter{User: "alice", Edit: grantName + "-req5", FieldManager: "kubectl-edit", Time: ptrTo(at(t, "2026-11-21T11:44:00Z"))}),
			revertedBy(reverted(t, edit(t, grantName+"-req6", grantName, "INC-4242", "2026-11-21T10:40:00Z", "Deployment", "payments",
				change{"spec.replicas", 2, 6}), "2026-11-21T10:41:00Z"),
				v1alpha1.Reverter{FieldManager: "kustomize-controller", GitOps: true, Time: ptrTo(at(t, "2026-11-21T10:40:30Z"))}),
			backported(t, edit(t, grantName+"-req1", grantName, "INC-4242", "2026-11-21T10:05:12Z", "Deployment", "checkout",
				change{memPath, "512Mi", "1Gi"}), "3b0406bf9c1a", "2026-11-21T11:30:00Z"),
			edit(t, "inc-9-carol-req1", "inc-9-carol", "INC-9", "2026-11-21T10:06:00Z", "Deployment", "other", change{"spec.replicas", 1, 2}),
		},
		Sources: []v1alpha1.GitSource{stale(t), prodApps(t)},
	}
}

func prodApps(t testing.TB) v1alpha1.GitSource {
	return v1alpha1.GitSource{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-apps"},
		Status: v1alpha1.GitSourceStatus{Revision: "3b0406bf9c1a", DriftedObjects: []v1alpha1.DriftedObject{
			{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "checkout", Status: "drifted",
				Paths:    []string{"spec.replicas", envPath, `metadata.labels["team"]`},
				Managers: []string{"kubectl-label", "kubectl-edit"}, FirstSeen: at(t, "2026-11-21T10:20:05Z")},
			{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "other", Status: "drifted",
				Paths: []string{"spec.replicas"}, FirstSeen: at(t, "2026-11-21T10:06:05Z")},
		}},
	}
}

func stale(t testing.TB) v1alpha1.GitSource {
	return v1alpha1.GitSource{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-secrets"},
		Status: v1alpha1.GitSourceStatus{Revision: "77aa01", Stale: true, DriftedObjects: []v1alpha1.DriftedObject{
			{APIVersion: "v1", Kind: "Secret", Namespace: "prod", Name: "checkout-db", Status: "drifted",
				Paths: []string{"data.password", "type"}, FirstSeen: at(t, "2026-11-21T10:30:05Z")},
		}},
	}
}

func revertedBy(e v1alpha1.BreakGlassEdit, by v1alpha1.Reverter) v1alpha1.BreakGlassEdit {
	e.Status.RevertedBy = &by
	return e
}
