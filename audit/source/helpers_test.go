package source

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/internal/testutil"
)

// signature is the fixed author of every test commit.
func signature() *object.Signature {
	return &object.Signature{
		Name: "Test", Email: "test@example.com", When: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// testRepo is a Git work tree in a temporary directory, built with go-git.
type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	wt   *git.Worktree
}

func newRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	})
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo, wt: wt}
}

// fileURL is the repository's file:// URL.
func (r *testRepo) fileURL() string { return "file://" + filepath.ToSlash(r.dir) }

// commit writes files (path → content), stages them and commits.
func (r *testRepo) commit(msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	writeFiles(r.t, r.dir, files)
	for name := range files {
		if _, err := r.wt.Add(name); err != nil {
			r.t.Fatal(err)
		}
	}
	h, err := r.wt.Commit(msg, &git.CommitOptions{Author: signature(), Committer: signature()})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// remove deletes files from the work tree and the index (commit them with commit).
func (r *testRepo) remove(names ...string) {
	r.t.Helper()
	for _, name := range names {
		if _, err := r.wt.Remove(name); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *testRepo) tag(name string, h plumbing.Hash, annotated bool) {
	r.t.Helper()
	var opts *git.CreateTagOptions
	if annotated {
		opts = &git.CreateTagOptions{Tagger: signature(), Message: "release " + name}
	}
	if _, err := r.repo.CreateTag(name, h, opts); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) checkout(branch string, create bool) {
	r.t.Helper()
	err := r.wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: create})
	if err != nil {
		r.t.Fatal(err)
	}
}

// writeFiles writes path → content below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testutil.WriteFiles(t, dir, files)
}

// configMap is a ConfigMap manifest with one data entry v.
func configMap(name, v string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: %q\n", name, v)
}

// summarize describes objects as "source: Kind/[namespace/]name labels data", for diffs.
func summarize(objs []audit.Object) []string {
	var out []string
	for _, o := range objs {
		s := o.Source + ": " + describe(o)
		if l := o.Labels(); len(l) > 0 {
			s += fmt.Sprintf(" labels=%v", l)
		}
		if d, ok := o.Content["data"]; ok {
			s += fmt.Sprintf(" data=%v", d)
		}
		out = append(out, s)
	}
	return out
}

// errText checks err against a wanted substring ("" = no error) and sentinel (nil = any).
func errText(t *testing.T, err error, want string, is error) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case err != nil && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	case err != nil && is != nil && !errors.Is(err, is):
		t.Fatalf("error %q is not %v", err, is)
	}
}
