package backport

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/internal/gitserver"
	"github.com/driftgate/driftgate/internal/testutil"
)

// gitHost serves one repository with testdata/repo pushed to main; reading is open, pushing
// needs alice's password (as a public repository on a forge).
type gitHost struct {
	url, bare string
}

func newGitHost(t *testing.T) gitHost {
	t.Helper()
	return newGitHostOf(t, "testdata/repo")
}

// newGitHostOf is a gitHost serving the files of dir.
func newGitHostOf(t *testing.T, dir string) gitHost {
	t.Helper()
	root := t.TempDir()
	h, err := gitserver.Handler(root)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		push := strings.Contains(r.URL.Path, "git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
		if u, p, ok := r.BasicAuth(); push && (!ok || u != "alice" || p != "secret") {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	bare := filepath.Join(root, "fleet.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", bare)
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	testutil.Git(t, work, "init", "-q", "-b", "main")
	testutil.Git(t, work, "add", ".")
	testutil.Git(t, work, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "the fleet")
	testutil.Git(t, work, "push", "-q", bare, "main")
	return gitHost{url: srv.URL + "/fleet.git", bare: bare}
}

// state is what a repository holds: its refs and the files of each.
func state(t *testing.T, dir string) string {
	t.Helper()
	refs := testutil.Git(t, dir, "for-each-ref", "--format=%(refname) %(objectname)")
	var b strings.Builder
	b.WriteString(refs + "\n")
	for _, line := range strings.Split(refs, "\n") {
		if ref, _, ok := strings.Cut(line, " "); ok {
			b.WriteString(testutil.Git(t, dir, "ls-tree", "-r", ref) + "\n")
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		b.WriteString(testutil.Git(t, dir, "status", "--porcelain", "--branch") + "\n")
	}
	return b.String()
}

func jsonValue(t *testing.T, v any) *apiextensionsv1.JSON {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &apiextensionsv1.JSON{Raw: raw}
}

func edit(t *testing.T, name, ticket, apiVersion, kind, ns, objName string, changes map[string][2]any) v1alpha1.BreakGlassEdit {
	e := v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.BreakGlassEditSpec{
			Grant: "inc-7-alice", Ticket: ticket, User: "alice", Time: metav1.Now(), Operation: "UPDATE",
			Object: v1alpha1.ObjectReference{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: objName},
		},
	}
	for p, c := range changes {
		e.Spec.Changes = append(e.Spec.Changes, v1alpha1.FieldChange{Path: p, Old: jsonValue(t, c[0]), New: jsonValue(t, c[1])})
		e.Status.OpenPaths = append(e.Status.OpenPaths, p)
	}
	if kind == "Secret" {
		e.Spec.Object.Resource = "secrets"
	}
	return e
}

// liveFrom renders the repository and applies the edits' new values: the cluster after the
// break-glass writes.
func liveFrom(t *testing.T, edits []v1alpha1.BreakGlassEdit) LiveFunc {
	t.Helper()
	objs, err := source.Render("testdata/repo/apps")
	if err != nil {
		t.Fatal(err)
	}
	return liveAfter(t, index(objs, "default"), edits)
}

// liveAfter applies the edits' new values to the objects Git renders: the cluster after the
// break-glass writes.
func liveAfter(t *testing.T, live map[objKey]*audit.Object, edits []v1alpha1.BreakGlassEdit) LiveFunc {
	t.Helper()
	for _, e := range edits {
		o := live[keyOf(e.Spec.Object)]
		for _, c := range e.Spec.Changes {
			segs, _ := fieldpath.Parse(c.Path)
			var v any
			_ = json.Unmarshal(c.New.Raw, &v)
			next, err := setIn(any(o.Content), segs, v, false)
			if err != nil {
				t.Fatal(err)
			}
			o.Content = next.(map[string]any)
		}
	}
	return func(_ context.Context, ref v1alpha1.ObjectReference) (*audit.Object, error) {
		return live[keyOf(ref)], nil
	}
}

var grants = map[string]*v1alpha1.BreakGlassGrant{
	"inc-7-alice": {
		ObjectMeta: metav1.ObjectMeta{Name: "inc-7-alice"},
		Spec: v1alpha1.BreakGlassGrantSpec{Requester: "alice", Ticket: "INC-7",
			Approvals: []v1alpha1.Approval{{User: "bob"}}},
	},
}

func TestRun(t *testing.T) {
	author := object.Signature{Name: "Alice", Email: "alice@example.com", When: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	image := edit(t, "inc-7-alice-1", "INC-7", "apps/v1", "Deployment", "shop", "checkout", map[string][2]any{
		"spec.template.spec.containers[name=app].image": {"registry.example.com/checkout:v1.2.3", "registry.example.com/checkout:v1.2.4"},
	})
	transformed := edit(t, "inc-7-alice-2", "INC-7", "apps/v1", "Deployment", "shop", "web", map[string][2]any{
		"spec.template.spec.containers[name=web].image": {"nginx:1.28.0", "nginx:1.29.0"},
	})
	secret := edit(t, "inc-7-alice-3", "INC-7", "v1", "Secret", "shop", "db", map[string][2]any{
		"data.password": {v1alpha1.Sensitive, v1alpha1.Sensitive},
	})
	tests := []struct {
		name   string
		edits  []v1alpha1.BreakGlassEdit
		opts   Options
		auth   source.Auth
		before func(t *testing.T, h gitHost, checkout string)
		// wantStates by edit, wantErr (ErrPushRejected), wantBranch on the server, in the checkout
		wantStates            map[string]string
		wantErr               error
		wantPushed, wantLocal bool
		wantUnchanged         bool
		wantDiff, wantMessage []string
		wantPR                string
	}{
		{
			name: "dry run changes nothing", edits: []v1alpha1.BreakGlassEdit{image}, opts: Options{DryRun: true},
			wantStates:    map[string]string{"inc-7-alice-1": Written},
			wantUnchanged: true,
			wantDiff: []string{
				"-        image: registry.example.com/checkout:v1.2.3  # bumped by CI",
				"+        image: registry.example.com/checkout:v1.2.4  # bumped by CI",
			},
		},
		{
			name: "push", edits: []v1alpha1.BreakGlassEdit{image, secret}, opts: Options{Push: true, Forge: GitHub},
			auth:       source.Auth{Username: "alice", Password: "secret"},
			wantStates: map[string]string{"inc-7-alice-1": Written, "inc-7-alice-3": ByHand},
			wantPushed: true,
			wantMessage: []string{
				"Backport INC-7: 1 break-glass edit to Git",
				"Grant: inc-7-alice, requested by alice, approved by bob",
				`  spec.template.spec.containers[name=app].image: "registry.example.com/checkout:v1.2.3" → "registry.example.com/checkout:v1.2.4" (apps/checkout.yaml)`,
			},
			wantPR: "/fleet/compare/main...driftgate/backport-INC-7?expand=1",
		},
		{
			name: "push rejected: the branch exists with other commits", edits: []v1alpha1.BreakGlassEdit{image}, opts: Options{Push: true},
			auth: source.Auth{Username: "alice", Password: "secret"},
			before: func(t *testing.T, h gitHost, _ string) {
				other := testutil.Git(t, h.bare, "-c", "user.name=bob", "-c", "user.email=bob@example.com",
					"commit-tree", "main^{tree}", "-p", "main", "-m", "an earlier backport")
				testutil.Git(t, h.bare, "update-ref", "refs/heads/driftgate/backport-INC-7", other)
			},
			wantErr: ErrPushRejected, wantUnchanged: true,
		},
		{
			name: "push rejected: bad credentials", edits: []v1alpha1.BreakGlassEdit{image}, opts: Options{Push: true},
			auth:    source.Auth{Username: "alice", Password: "wrong"},
			wantErr: ErrPushRejected, wantUnchanged: true,
		},
		{
			name: "branch in the checkout", edits: []v1alpha1.BreakGlassEdit{image}, opts: Options{},
			wantStates: map[string]string{"inc-7-alice-1": Written},
			wantLocal:  true,
		},
		{
			name: "a value no file holds is reported, not guessed", edits: []v1alpha1.BreakGlassEdit{transformed}, opts: Options{Push: true},
			wantStates: map[string]string{"inc-7-alice-2": NotWritten}, wantUnchanged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGitHost(t)
			checkout := t.TempDir()
			testutil.Git(t, "", "clone", "-q", h.url, checkout)
			if tt.before != nil {
				tt.before(t, h, checkout)
			}
			serverBefore, localBefore := state(t, h.bare), state(t, checkout)
			opts := tt.opts
			opts.Author, opts.Repo = author, checkout
			src := Source{Name: "fleet", URL: h.url, Revision: "main", Path: "apps", DefaultNamespace: "default", Auth: tt.auth}
			res, err := Run(context.Background(), src, tt.edits, grants, liveFrom(t, tt.edits), opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run: error %v, want %v", err, tt.wantErr)
			}
			if tt.wantUnchanged {
				if diff := cmp.Diff(serverBefore, state(t, h.bare)); diff != "" {
					t.Errorf("the server's repository changed (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(localBefore, state(t, checkout)); diff != "" {
					t.Errorf("the checkout changed (-before +after):\n%s", diff)
				}
			}
			if err != nil {
				if strings.Contains(err.Error(), "secret") && tt.auth.Password == "secret" {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			got := map[string]string{}
			for _, r := range res.Edits {
				got[r.Edit] = r.State
			}
			if diff := cmp.Diff(tt.wantStates, got); diff != "" {
				t.Errorf("edit states (-want +got):\n%s", diff)
			}
			for _, want := range tt.wantDiff {
				if !strings.Contains(res.Diff, want+"\n") {
					t.Errorf("the diff lacks %q:\n%s", want, res.Diff)
				}
			}
			out, _ := json.Marshal(res)
			if strings.Contains(string(out), "from-git") {
				t.Errorf("a Secret's value left the cluster: %s", out)
			}
			branch := "refs/heads/driftgate/backport-INC-7"
			onServer := strings.Contains(state(t, h.bare), branch)
			inCheckout := strings.Contains(state(t, checkout), branch)
			if onServer != tt.wantPushed || inCheckout != tt.wantLocal || res.Pushed != tt.wantPushed {
				t.Errorf("branch on the server %v (pushed %v), in the checkout %v; want %v, %v", onServer, res.Pushed, inCheckout, tt.wantPushed, tt.wantLocal)
			}
			if tt.wantPushed {
				msg := testutil.Git(t, h.bare, "log", "-1", "--format=%B", branch)
				for _, want := range tt.wantMessage {
					if !strings.Contains(msg, want) {
						t.Errorf("the commit message lacks %q:\n%s", want, msg)
					}
				}
				if file := testutil.Git(t, h.bare, "show", branch+":apps/checkout.yaml"); !strings.Contains(file, "checkout:v1.2.4  # bumped by CI") {
					t.Errorf("the pushed file:\n%s", file)
				}
				if !strings.HasSuffix(res.PullRequestURL, tt.wantPR) {
					t.Errorf("pull request URL %q, want it to end in %q", res.PullRequestURL, tt.wantPR)
				}
			}
			if tt.wantLocal && strings.Contains(state(t, checkout), "\n M ") {
				t.Errorf("the checkout's work tree changed:\n%s", state(t, checkout))
			}
		})
	}
}

func TestPullRequestURL(t *testing.T) {
	tests := []struct {
		remote, forge, want string
	}{
		{"https://github.com/example/fleet.git", "", "https://github.com/example/fleet/compare/main...driftgate/backport-INC-7?expand=1"},
		{"git@github.com:example/fleet.git", "", "https://github.com/example/fleet/compare/main...driftgate/backport-INC-7?expand=1"},
		{"ssh://git@gitlab.example.com:2222/team/fleet.git", "", "https://gitlab.example.com/team/fleet/-/merge_requests/new?merge_request%5Bsource_branch%5D=driftgate%2Fbackport-INC-7&merge_request%5Btarget_branch%5D=main"},
		{"https://codeberg.org/team/fleet", "", "https://codeberg.org/team/fleet/compare/main...driftgate/backport-INC-7"},
		{"https://git.example.com/team/fleet.git", Gitea, "https://git.example.com/team/fleet/compare/main...driftgate/backport-INC-7"},
		{"git@bitbucket.org:team/fleet.git", "", "https://bitbucket.org/team/fleet/pull-requests/new?source=driftgate%2Fbackport-INC-7&dest=main"},
		{"https://bitbucket.example.com/scm/OPS/fleet.git", Bitbucket, "https://bitbucket.example.com/projects/OPS/repos/fleet/pull-requests?create&sourceBranch=refs%2Fheads%2Fdriftgate%2Fbackport-INC-7&targetBranch=refs%2Fheads%2Fmain"},
		{"https://git.example.com/team/fleet.git", "", ""},
		{"/srv/git/fleet", "", ""},
	}
	for _, tt := range tests {
		forge := tt.forge
		if forge == "" {
			forge = ForgeOf(tt.remote)
		}
		if got := PullRequestURL(forge, tt.remote, "driftgate/backport-INC-7", "main"); got != tt.want {
			t.Errorf("PullRequestURL(%q, %q) = %q, want %q", forge, tt.remote, got, tt.want)
		}
	}
}
