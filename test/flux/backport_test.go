package flux_test

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// fluxApp pushes the tests' app for ns to a new repository and has Flux apply it with a
// Kustomization named ns; the only GitSource is the one driftgate discovers for it. It returns
// the work tree and the repository's URL.
func fluxApp(t *testing.T, ns string) gitopstest.Repo {
	t.Helper()
	r := gitopstest.Repo{Work: t.TempDir()}
	gitopstest.WriteApp(t, r.Work, gitopstest.App{Namespace: ns, Image: "registry.example.com/web:v1"})
	r.URL = suite.Git.Push(t, ns, r.Work)
	applyFlux(t, ns, r.URL, "./")
	return r
}

// requiredEdit waits until the grant's one edit is Required, decided by the GitSource driftgate
// discovered for the Kustomization ns.
func requiredEdit(t *testing.T, grant, ns string) v1alpha1.BreakGlassEdit {
	t.Helper()
	var e v1alpha1.BreakGlassEdit
	testutil.WaitFor(t, "alice's edit Required, decided by the discovered source", func() bool {
		edits := suite.Cluster.Edits(t, grant)
		if len(edits) == 1 {
			e = edits[0]
		}
		return len(edits) == 1 && e.Status.Backport == v1alpha1.BackportRequired && e.Status.GitSource == loop.DiscoveredName(v1alpha1.SourceKindKustomization, fluxNamespace, ns)
	})
	return e
}

// TestBackportThroughFlux: alice's fix under a grant is written into Git by `driftgate backport
// --ticket --push` (to the Git server Flux reads, through the GitSource driftgate discovered for
// the Kustomization), bob merges the branch into main with plain git as a person merging the
// pull request, Flux applies the merge, the edit becomes Backported at the merge's revision and
// `driftgate report --ticket` says READY TO CLOSE.
func TestBackportThroughFlux(t *testing.T) {
	suite.Need(t)
	const ns, ticket = "bpflux", "INC-21"
	repo := fluxApp(t, ns)
	g := suite.Hotfix(t, ns, ticket)
	requiredEdit(t, g.Name, ns)
	kc := suite.Cluster.Kubeconfig(t)

	out, errOut, code := suite.Cluster.RunCLI(t, kc, "report", "--ticket", ticket)
	if code != 1 || !strings.Contains(out, "NOT READY") {
		t.Fatalf("report before the backport: exit %d, want 1 and NOT READY:\n%s%s", code, out, errOut)
	}
	before := testutil.Git(t, suite.Git.Dir(ns), "for-each-ref")
	out, errOut, code = suite.Cluster.RunCLI(t, kc, "backport", "--ticket", ticket, "--dry-run")
	if code != 0 || !strings.Contains(out, "+        image: "+gitopstest.HotfixImage) {
		t.Fatalf("backport --dry-run: exit %d, want 0 and the diff:\n%s%s", code, out, errOut)
	}
	if after := testutil.Git(t, suite.Git.Dir(ns), "for-each-ref"); after != before {
		t.Fatalf("backport --dry-run changed the repository's refs:\n%s\nwas:\n%s", after, before)
	}
	out, errOut, code = suite.Cluster.RunCLI(t, kc, "backport", "--ticket", ticket, "--push", "--author", "Alice <alice@example.com>")
	const branch = "driftgate/backport-" + ticket
	if code != 0 || !strings.Contains(out, "pushed branch "+branch) {
		t.Fatalf("backport --push: exit %d, want 0 and the branch pushed:\n%s%s", code, out, errOut)
	}
	if msg := testutil.Git(t, suite.Git.Dir(ns), "log", "-1", "--format=%an%n%B", branch); !strings.Contains(msg, "Alice\nBackport "+ticket) || !strings.Contains(msg, "requested by alice, approved by bob") {
		t.Errorf("the backport commit:\n%s", msg)
	}

	// bob merges the pull request.
	testutil.Git(t, repo.Work, "fetch", "-q", repo.URL, branch)
	testutil.Git(t, repo.Work, "-c", "user.name=bob", "-c", "user.email=bob@example.com", "merge", "-q", "--no-ff", "-m", "Merge "+branch, "FETCH_HEAD")
	testutil.Git(t, repo.Work, "push", "-q", repo.URL, "main")
	merge := testutil.Git(t, repo.Work, "rev-parse", "HEAD")
	reconcile(t, ns, "merged")

	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || len(e.Status.Revision) < 7 || !strings.HasPrefix(merge, e.Status.Revision) {
		t.Errorf("alice's edit is %s at revision %q, want Backported at the merge %s", e.Status.Backport, e.Status.Revision, merge)
	}
	out, errOut, code = suite.Cluster.RunCLI(t, kc, "report", "--ticket", ticket)
	if code != 0 || !strings.Contains(out, "READY TO CLOSE") {
		t.Errorf("report after the merge: exit %d, want 0 and READY TO CLOSE:\n%s%s", code, out, errOut)
	}
}

// TestRevertThroughFlux: `driftgate revert` puts Git's image back over alice's fix as the person
// running it, through driftgate's webhook: carol, without a grant, is refused (exit 1) and
// nothing changes; alice's --dry-run changes nothing and records nothing; alice's revert makes
// the edit Reverted, attributed to her, and the ticket READY TO CLOSE.
func TestRevertThroughFlux(t *testing.T) {
	suite.Need(t)
	const ns, ticket = "rvflux", "INC-22"
	fluxApp(t, ns)
	g := suite.Hotfix(t, ns, ticket)
	fix := requiredEdit(t, g.Name, ns)
	// driftgate's self-heal protection writes the Deployment once: wait for it, so that the only
	// writer left is the command under test.
	testutil.WaitFor(t, "the self-heal protection on the Deployment", func() bool {
		return suite.Web(t, ns).Annotations[protect.FluxReconcile] == "disabled" && protectionOf(t, g.Name).reason == protect.ReasonHeld
	})
	kc := suite.Cluster.Kubeconfig(t)
	version := func() string { return suite.Web(t, ns).ResourceVersion }

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{name: "without a grant", args: []string{"--as", "carol"}, wantCode: 1, wantOut: "refused:"},
		{name: "dry run", args: []string{"--as", "alice", "--dry-run"}, wantCode: 0, wantOut: "would revert (dry run, allowed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv, edits := version(), len(suite.Cluster.Edits(t, g.Name))
			out, errOut, code := suite.Cluster.RunCLI(t, kc, append([]string{"revert", "--ticket", ticket}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("exit %d, want %d and %q:\n%s%s", code, tt.wantCode, tt.wantOut, out, errOut)
			}
			if got := version(); got != rv {
				t.Errorf("the Deployment changed: resourceVersion %s, was %s", got, rv)
			}
			if got := len(suite.Cluster.Edits(t, g.Name)); got != edits {
				t.Errorf("the grant has %d edits, was %d: a write was recorded", got, edits)
			}
		})
	}
	if img := suite.Web(t, ns).Spec.Template.Spec.Containers[0].Image; img != gitopstest.HotfixImage {
		t.Fatalf("before alice's revert the image is %q, want her fix", img)
	}

	out, errOut, code := suite.Cluster.RunCLI(t, kc, "revert", "--ticket", ticket, "--as", "alice")
	if code != 0 || !strings.Contains(out, "reverted to Git's revision") {
		t.Fatalf("alice's revert: exit %d, want 0:\n%s%s", code, out, errOut)
	}
	d := &appsv1.Deployment{}
	if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
		t.Fatal(err)
	}
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example.com/web:v1" {
		t.Errorf("after alice's revert the image is %q, want Git's", img)
	}
	testutil.WaitFor(t, "alice's fix Reverted", func() bool {
		if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: fix.Name}, &fix); err != nil {
			t.Fatal(err)
		}
		return fix.Status.Backport == v1alpha1.Reverted
	})
	if by := fix.Status.RevertedBy; by == nil || by.User != "alice" || by.GitOps || by.Edit == "" || by.Edit == fix.Name {
		t.Errorf("revertedBy = %+v, want alice's recorded write", by)
	}
	// Alice's revert is a recorded write too: the audit decides it (it sets Git's value) a
	// moment after the fix it reverts.
	testutil.WaitFor(t, "every edit of the ticket resolved, alice's revert included", func() bool {
		return len(openEdits(t, g.Name)) == 0
	})
	out, errOut, code = suite.Cluster.RunCLI(t, kc, "report", "--ticket", ticket)
	if code != 0 || !strings.Contains(out, "READY TO CLOSE") {
		t.Errorf("report after the revert: exit %d, want 0 and READY TO CLOSE:\n%s%s", code, out, errOut)
	}
}
