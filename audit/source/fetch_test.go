package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fixture is a repository with three commits: c1 on main (tagged v1, annotated, and v1-light),
// c2 on branch feature, c3 on main; plus an untracked file in the work tree.
type fixture struct {
	repo       *testRepo
	c1, c2, c3 plumbing.Hash
}

func newFixture(t *testing.T) fixture {
	r := newRepo(t)
	f := fixture{repo: r}
	f.c1 = r.commit("one", map[string]string{"app/web.yaml": configMap("web", "1"), "other/x.yaml": configMap("other", "x")})
	r.tag("v1", f.c1, true)
	r.tag("v1-light", f.c1, false)
	r.checkout("feature", true)
	f.c2 = r.commit("two", map[string]string{"app/feature.yaml": configMap("feature", "2")})
	r.checkout("main", false)
	f.c3 = r.commit("three", map[string]string{"app/web.yaml": configMap("web", "3")})
	writeFiles(t, r.dir, map[string]string{"app/untracked.yaml": configMap("untracked", "u")})
	return f
}

func TestFetchRevisions(t *testing.T) {
	f := newFixture(t)
	other := "other/x.yaml (document 1): ConfigMap/other data=map[v:x]"
	at1 := []string{"app/web.yaml (document 1): ConfigMap/web data=map[v:1]", other}
	at2 := []string{"app/feature.yaml (document 1): ConfigMap/feature data=map[v:2]", at1[0], other}
	at3 := []string{"app/web.yaml (document 1): ConfigMap/web data=map[v:3]", other}
	tests := []struct {
		revision string
		want     plumbing.Hash
		objects  []string
		wantErr  string
	}{
		{revision: "", want: f.c3, objects: at3},
		{revision: "HEAD", want: f.c3, objects: at3},
		{revision: "main", want: f.c3, objects: at3},
		{revision: "feature", want: f.c2, objects: at2},
		{revision: "refs/heads/feature", want: f.c2, objects: at2},
		{revision: "v1", want: f.c1, objects: at1},
		{revision: "v1-light", want: f.c1, objects: at1},
		{revision: f.c2.String(), want: f.c2, objects: at2},
		{revision: f.c1.String()[:7], want: f.c1, objects: at1},
		{revision: "v9", wantErr: `revision "v9" not found in `},
		{revision: "deadbeefdeadbeef", wantErr: `revision "deadbeefdeadbeef" not found in `},
	}
	sources := map[string]string{"work tree": f.repo.dir, "file URL": f.repo.fileURL()}
	for kind, url := range sources {
		fetcher := &Fetcher{Dir: t.TempDir()}
		for _, tt := range tests {
			t.Run(kind+"/"+tt.revision, func(t *testing.T) {
				got, err := fetcher.Fetch(context.Background(), Spec{URL: url, Revision: tt.revision})
				if tt.wantErr != "" {
					errText(t, err, tt.wantErr+url, ErrRevisionNotFound)
					return
				}
				errText(t, err, "", nil)
				if got.Revision != tt.want.String() {
					t.Errorf("Revision = %s, want %s", got.Revision, tt.want)
				}
				if diff := cmp.Diff(tt.objects, summarize(got.Objects)); diff != "" {
					t.Errorf("Objects (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestFetchReusesClone(t *testing.T) {
	r := newRepo(t)
	first := r.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	fetcher := &Fetcher{Dir: t.TempDir()}
	spec := Spec{URL: r.fileURL(), Revision: "main"}
	got, err := fetcher.Fetch(context.Background(), spec)
	errText(t, err, "", nil)
	if got.Revision != first.String() {
		t.Fatalf("first Revision = %s, want %s", got.Revision, first)
	}
	marker := filepath.Join(fetcher.Dir, cacheKey(spec.URL), "driftgate-test-marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	r.remove("a.yaml")
	second := r.commit("two", map[string]string{"b.yaml": configMap("b", "2")})
	got, err = fetcher.Fetch(context.Background(), spec)
	errText(t, err, "", nil)
	if got.Revision != second.String() {
		t.Errorf("second Revision = %s, want %s", got.Revision, second)
	}
	if diff := cmp.Diff([]string{"b.yaml (document 1): ConfigMap/b data=map[v:2]"}, summarize(got.Objects)); diff != "" {
		t.Errorf("second Objects (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the clone was made anew, not fetched into: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fetcher.Dir, cacheKey(spec.URL), "shallow")); err != nil {
		t.Errorf("the branch was not fetched shallow: %v", err)
	}
	if diff := cmp.Diff([]string{cacheKey(spec.URL)}, dirNames(t, fetcher.Dir)); diff != "" {
		t.Errorf("entries of Dir (-want +got):\n%s", diff)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFetchPath(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path    string
		want    []string
		wantErr string
		wantIs  error
	}{
		{path: "app", want: []string{"app/web.yaml (document 1): ConfigMap/web data=map[v:3]"}},
		{path: "app/../other/", want: []string{"other/x.yaml (document 1): ConfigMap/other data=map[v:x]"}},
		{path: "app/web.yaml", want: []string{"app/web.yaml (document 1): ConfigMap/web data=map[v:3]"}},
		{path: "../x", wantErr: `path "../x": must be a relative path inside the repository`, wantIs: ErrInvalidPath},
		{path: "app/../../x", wantErr: `path "app/../../x": must be`, wantIs: ErrInvalidPath},
		{path: "/etc", wantErr: `path "/etc": must be`, wantIs: ErrInvalidPath},
		{path: "nope", wantErr: `path "nope" in ` + f.repo.fileURL() + " at " + f.c3.String()[:12] + ": no such", wantIs: ErrPathNotFound},
	}
	fetcher := &Fetcher{Dir: t.TempDir()}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := fetcher.Fetch(context.Background(), Spec{URL: f.repo.fileURL(), Path: tt.path})
			errText(t, err, tt.wantErr, tt.wantIs)
			if diff := cmp.Diff(tt.want, summarize(got.Objects), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchPlainDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.yaml":       configMap("a", "1"),
		"sub/b.yaml":   configMap("b", "2"),
		".cache/x.txt": "hidden",
	})
	fetcher := &Fetcher{}
	fetch := func(s Spec) Snapshot {
		t.Helper()
		got, err := fetcher.Fetch(context.Background(), s)
		errText(t, err, "", nil)
		return got
	}
	first := fetch(Spec{URL: dir})
	if !regexp.MustCompile(`^sha256:[0-9a-f]{12}$`).MatchString(first.Revision) {
		t.Errorf("Revision = %q, want sha256: and 12 hex digits", first.Revision)
	}
	want := []string{"a.yaml (document 1): ConfigMap/a data=map[v:1]", "sub/b.yaml (document 1): ConfigMap/b data=map[v:2]"}
	if diff := cmp.Diff(want, summarize(first.Objects)); diff != "" {
		t.Errorf("Objects (-want +got):\n%s", diff)
	}

	writeFiles(t, dir, map[string]string{".cache/x.txt": "hidden, changed"})
	if got := fetch(Spec{URL: dir}).Revision; got != first.Revision {
		t.Errorf("Revision after a hidden change = %s, want unchanged %s", got, first.Revision)
	}
	writeFiles(t, dir, map[string]string{"sub/b.yaml": configMap("b", "3")})
	if got := fetch(Spec{URL: dir}).Revision; got == first.Revision {
		t.Errorf("Revision after a change = %s, want a new one", got)
	}
	sub := fetch(Spec{URL: dir, Path: "sub"})
	if diff := cmp.Diff([]string{"sub/b.yaml (document 1): ConfigMap/b data=map[v:3]"}, summarize(sub.Objects)); diff != "" {
		t.Errorf("Objects of Path sub (-want +got):\n%s", diff)
	}

	_, err := fetcher.Fetch(context.Background(), Spec{URL: dir, Revision: "main"})
	errText(t, err, `revision "main" given, but the directory is not a Git repository`, nil)
	_, err = fetcher.Fetch(context.Background(), Spec{URL: dir, Path: ".."})
	errText(t, err, `path ".."`, ErrInvalidPath)
	_, err = fetcher.Fetch(context.Background(), Spec{URL: filepath.Join(dir, "missing")})
	errText(t, err, "not a URL, and not a readable directory", nil)
}

func TestFetchKustomizeInRepository(t *testing.T) {
	r := newRepo(t)
	head := r.commit("kustomize", map[string]string{
		"base/kustomization.yaml":          "resources:\n- cm.yaml\n",
		"base/cm.yaml":                     configMap("cm", "1"),
		"overlays/prod/kustomization.yaml": "namePrefix: prod-\nresources:\n- ../../base\n",
		"escape/kustomization.yaml":        "resources:\n- ../../outside\n",
		"gen/kustomization.yaml":           "resources:\n- ../base\nconfigMapGenerator:\n- name: gen\n  literals: [a=b]\n",
	})
	tests := []struct {
		path    string
		want    []string
		wantErr string
		wantIs  error
	}{
		{path: "overlays/prod", want: []string{"base/cm.yaml (ConfigMap/prod-cm): ConfigMap/prod-cm data=map[v:1]"}},
		{path: "gen", want: []string{
			"base/cm.yaml (ConfigMap/cm): ConfigMap/cm data=map[v:1]",
			"gen/kustomization.yaml (ConfigMap/gen-4h2mbtbbt6): ConfigMap/gen-4h2mbtbbt6 data=map[a:b]",
		}},
		{path: "escape", wantErr: `render escape/kustomization.yaml: resources "../../outside": points outside the repository`, wantIs: ErrOutsideRepository},
	}
	fetcher := &Fetcher{Dir: t.TempDir()}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := fetcher.Fetch(context.Background(), Spec{URL: r.dir, Path: tt.path})
			errText(t, err, tt.wantErr, tt.wantIs)
			if err == nil && got.Revision != head.String() {
				t.Errorf("Revision = %s, want %s", got.Revision, head)
			}
			if diff := cmp.Diff(tt.want, summarize(got.Objects), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchConcurrent(t *testing.T) {
	repos := []*testRepo{newRepo(t), newRepo(t)}
	heads := make([]plumbing.Hash, len(repos))
	for i, r := range repos {
		heads[i] = r.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	}
	fetcher := &Fetcher{Dir: t.TempDir()}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	revs := make([]string, 6)
	for i := range errs {
		wg.Go(func() {
			got, err := fetcher.Fetch(context.Background(), Spec{URL: repos[i%2].fileURL()})
			revs[i], errs[i] = got.Revision, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		errText(t, err, "", nil)
		if revs[i] != heads[i%2].String() {
			t.Errorf("fetch %d: Revision = %s, want %s", i, revs[i], heads[i%2])
		}
	}
}

func TestFetchCanceled(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, url := range []string{r.fileURL(), "https://git.invalid/org/repo.git"} {
		_, err := (&Fetcher{Dir: t.TempDir()}).Fetch(ctx, Spec{URL: url})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Fetch(%s) with a canceled context: error %v, want context.Canceled", url, err)
		}
	}
}
