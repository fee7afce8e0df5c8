package report_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/report"
)

const (
	imagePath = "spec.template.spec.containers[name=app].image"
	file      = "apps/checkout/deployment.yaml"
)

// TestReport: alice writes twice under an approved grant; the report is not ready while one
// edit is Required and names it, and ready once both are resolved. Another identity that may
// not read GitSources still gets the report, with other drift unknown.
func TestReport(t *testing.T) {
	ticket := fmt.Sprintf("INC-%d", time.Now().UnixNano()%1000000)
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	g := activeGrant(t, ns, ticket)
	imageEdit, replicasEdit := write(t, ns, g.Name)
	gitSource(t, ns, "checkout", "spec.replicas", `metadata.labels["team"]`)
	kc := cluster.Kubeconfig(t)

	resolve(t, imageEdit, v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.Backported, Revision: "3b0406bf9c1a",
		ResolvedAt: ptrNow(), GitSource: "apps", File: file})
	resolve(t, replicasEdit, v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired, GitSource: "apps", File: file,
		OpenPaths: []string{"spec.replicas"}})
	r := reportJSON(t, kc, 1, "--ticket", ticket)
	checkNotReady(t, r, g.Name, imageEdit.Name, replicasEdit.Name, ns)

	out, _, code := cluster.RunCLI(t, kc, "report", "--all-open", "-o", "json")
	if code != 1 || !strings.Contains(out, `"ticket": "`+ticket+`"`) {
		t.Errorf("--all-open: exit %d, want 1 and ticket %s in:\n%s", code, ticket, out)
	}

	resolve(t, replicasEdit, v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.Reverted, ResolvedAt: ptrNow(), GitSource: "apps", File: file})
	r = reportJSON(t, kc, 0, "--ticket", ticket)
	if !r.Verdict.Ready || r.Verdict.Summary != report.SummaryReady || len(r.Verdict.OpenItems) != 0 {
		t.Errorf("verdict = %+v, want ready", r.Verdict)
	}
	out, _, code = cluster.RunCLI(t, kc, "report", "--ticket", ticket)
	if code != 0 || !strings.HasPrefix(out, "# Break-glass report: "+ticket+"\n\n**READY TO CLOSE**") {
		t.Errorf("markdown: exit %d:\n%s", code, out)
	}

	carol := reportJSON(t, kc, 0, "--ticket", ticket, "--as", "carol")
	want := report.OtherDrift{Note: "listing GitSources is forbidden for this identity", Objects: []report.DriftedItem{}}
	if diff := cmp.Diff(want, carol.OtherDrift); diff != "" {
		t.Errorf("other drift for carol, who may not read GitSources (-want +got):\n%s", diff)
	}
}

// TestUnknownTicket: a ticket with no records is an error: exit 2 and one line saying so.
func TestUnknownTicket(t *testing.T) {
	out, errOut, code := cluster.RunCLI(t, cluster.Kubeconfig(t), "report", "--ticket", "INC-does-not-exist")
	want := "driftgate: no break-glass grants or edits for ticket INC-does-not-exist; check the ticket ID (driftgate breakglass list shows the grants and their tickets)\n"
	if code != 2 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and stderr %q", code, out, errOut, want)
	}
}

// write has alice change the image, then the replicas, under grant; it returns the two edits.
func write(t *testing.T, ns, grant string) (*v1alpha1.BreakGlassEdit, *v1alpha1.BreakGlassEdit) {
	t.Helper()
	alice := cluster.Person(t, "alice")
	testutil.WaitFor(t, "alice's RBAC from the grant's RoleBinding", func() bool {
		return update(t, alice, ns, "checkout", func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/checkout:v1.2.4"
		}) == nil
	})
	if err := update(t, alice, ns, "checkout", func(d *appsv1.Deployment) { d.Spec.Replicas = ptrInt(4) }); err != nil {
		t.Fatal(err)
	}
	list := cluster.Edits(t, grant)
	image := slices.IndexFunc(list, func(e v1alpha1.BreakGlassEdit) bool { return hasPath(e, imagePath) })
	replicas := slices.IndexFunc(list, func(e v1alpha1.BreakGlassEdit) bool { return hasPath(e, "spec.replicas") })
	if len(list) != 2 || image < 0 || replicas < 0 {
		t.Fatalf("grant %s has %d records, want an image edit and a replicas edit: %+v", grant, len(list), list)
	}
	return &list[image], &list[replicas]
}

func hasPath(e v1alpha1.BreakGlassEdit, path string) bool {
	return slices.ContainsFunc(e.Spec.Changes, func(c v1alpha1.FieldChange) bool { return c.Path == path })
}

// reportJSON runs driftgate report -o json, wants exit status code, and decodes the report.
func reportJSON(t *testing.T, kc string, code int, args ...string) report.Report {
	t.Helper()
	out, errOut, got := cluster.RunCLI(t, kc, append([]string{"report", "-o", "json"}, args...)...)
	if got != code {
		t.Fatalf("report %v: exit %d, want %d\n%s%s", args, got, code, out, errOut)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report %v: %v\n%s", args, err, out)
	}
	return r
}

func checkNotReady(t *testing.T, r report.Report, grant, backported, open, ns string) {
	t.Helper()
	if r.Verdict.Ready || r.Verdict.Summary != report.SummaryNotReady || len(r.Verdict.OpenItems) != 1 {
		t.Fatalf("verdict = %+v, want not ready with one open item", r.Verdict)
	}
	it := r.Verdict.OpenItems[0]
	wantBackport := "open a PR changing spec.replicas in " + file + " (GitSource apps)"
	if it.Edit != open || it.Object.String() != "Deployment "+ns+"/checkout" || it.Backport != wantBackport ||
		!strings.HasPrefix(it.Revert, "revert it live: kubectl -n "+ns+" edit deployments.apps/checkout and set spec.replicas back to 2") {
		t.Errorf("open item = %+v", it)
	}
	if len(r.Grants) != 1 || r.Grants[0].Name != grant || r.Grants[0].Requester != "alice" || len(r.Grants[0].Approvals) != 1 || r.Grants[0].Approvals[0].User != "bob" {
		t.Errorf("grants = %+v, want %s requested by alice, approved by bob", r.Grants, grant)
	}
	states := map[string]string{}
	for _, e := range r.Edits {
		states[e.Name] = e.Backport.State + " " + e.Backport.Revision
	}
	if diff := cmp.Diff(map[string]string{backported: "Backported 3b0406bf9c1a", open: "Required "}, states); diff != "" {
		t.Errorf("edits' backport states (-want +got):\n%s", diff)
	}
	if len(r.OtherDrift.Objects) != 1 || !slices.Equal(r.OtherDrift.Objects[0].Paths, []string{`metadata.labels["team"]`}) {
		t.Errorf("other drift = %+v, want only metadata.labels[\"team\"] (spec.replicas is the ticket's own)", r.OtherDrift)
	}
}

func ptrNow() *metav1.Time {
	now := metav1.Now()
	return &now
}

func ptrInt(n int32) *int32 { return &n }
