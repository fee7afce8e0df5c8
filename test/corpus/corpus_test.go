// Package corpus_test checks `driftgate diff` against the project's drift corpus,
// test/fixtures/drift: real manifests and objects printed by a real kube-apiserver, with the
// expected answer written by hand from the drift rules (the corpus's README).
package corpus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/testutil"
)

// expected is a case's expected.json.
type expected struct {
	Objects []expectedObject `json:"objects"`
}

type expectedObject struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	Status    string   `json:"status"`
	Paths     []string `json:"paths"`
}

// report is what the test reads of `driftgate diff -o json`.
type report struct {
	Objects []reportObject `json:"objects"`
	Summary map[string]int `json:"summary"`
}

type reportObject struct {
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace"`
	Name      string        `json:"name"`
	Status    string        `json:"status"`
	Fields    []reportField `json:"fields"`
}

type reportField struct {
	Path    string `json:"path"`
	Desired any    `json:"desired"`
	Live    any    `json:"live"`
}

// sensitive is how a Secret's value is shown.
const sensitive = "(sensitive)"

// TestCorpus runs every case of test/fixtures/drift and checks, per object, the status and the
// exact set of drifted paths, and for the whole answer the exit code, the order, the summary, and
// that no secret value is printed.
func TestCorpus(t *testing.T) {
	bin := testutil.MustBuildDriftgate(t, t.TempDir())
	root := filepath.Join(repoRoot(), "test", "fixtures", "drift")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
			continue
		}
		cases++
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			checkCase(t, bin, dir)
		})
	}
	if cases < 20 {
		t.Fatalf("found %d cases in %s, want the corpus's 26 or more", cases, root)
	}
}

func checkCase(t *testing.T, bin, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want expected
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	stdout, stderr, code := testutil.Run(t, bin, "diff", "--desired", filepath.Join(dir, "desired"), "--live", filepath.Join(dir, "live"), "-o", "json")

	wantCode := 0
	for _, o := range want.Objects {
		if o.Status != "in-sync" {
			wantCode = 1
		}
	}
	if code != wantCode {
		t.Errorf("exit code %d, want %d (stderr: %s)", code, wantCode, strings.TrimSpace(stderr))
	}
	for _, secret := range secrets(t, dir) {
		if strings.Contains(stdout, secret) || strings.Contains(stderr, secret) {
			t.Errorf("a secret value (%.2s...) was printed", secret)
		}
	}
	var got report
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not a diff report: %v", err)
	}
	if diff := cmp.Diff(normalize(want.Objects), answered(t, got)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	checkOrder(t, got)
	checkSummary(t, got)
}

// normalize sorts each object's paths and makes no paths an empty list.
func normalize(objs []expectedObject) map[string]expectedObject {
	out := map[string]expectedObject{}
	for _, o := range objs {
		o.Paths = slices.Sorted(slices.Values(o.Paths))
		if o.Paths == nil {
			o.Paths = []string{}
		}
		out[key(o.Kind, o.Namespace, o.Name)] = o
	}
	return out
}

// answered is the report in expected.json's shape; it fails the test on an object or path
// reported twice and on a Secret value shown other than as (sensitive).
func answered(t *testing.T, r report) map[string]expectedObject {
	t.Helper()
	out := map[string]expectedObject{}
	for _, o := range r.Objects {
		k := key(o.Kind, o.Namespace, o.Name)
		if _, dup := out[k]; dup {
			t.Errorf("%s reported twice", k)
		}
		paths := []string{}
		for _, f := range o.Fields {
			if slices.Contains(paths, f.Path) {
				t.Errorf("%s: %s reported twice", k, f.Path)
			}
			paths = append(paths, f.Path)
			if o.Kind == "Secret" && (!shownSensitive(f.Desired) || !shownSensitive(f.Live)) {
				t.Errorf("%s: %s shows a Secret value as %v / %v, want %q", k, f.Path, f.Desired, f.Live, sensitive)
			}
		}
		slices.Sort(paths)
		out[k] = expectedObject{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Status: o.Status, Paths: paths}
	}
	return out
}

func shownSensitive(v any) bool { return v == nil || v == sensitive }

func checkOrder(t *testing.T, r report) {
	t.Helper()
	sorted := slices.IsSortedFunc(r.Objects, func(a, b reportObject) int {
		return cmp3(a.Kind, b.Kind, a.Namespace, b.Namespace, a.Name, b.Name)
	})
	if !sorted {
		t.Error("objects are not sorted by kind, namespace and name")
	}
}

func cmp3(a1, b1, a2, b2, a3, b3 string) int {
	if c := strings.Compare(a1, b1); c != 0 {
		return c
	}
	if c := strings.Compare(a2, b2); c != 0 {
		return c
	}
	return strings.Compare(a3, b3)
}

// checkSummary checks the summary's counts against the objects.
func checkSummary(t *testing.T, r report) {
	t.Helper()
	want := map[string]int{"objects": len(r.Objects), "fields": 0, "inSync": 0, "drifted": 0, "missing": 0, "orphaned": 0}
	statusKey := map[string]string{"in-sync": "inSync", "drifted": "drifted", "missing": "missing", "orphaned": "orphaned"}
	for _, o := range r.Objects {
		want["fields"] += len(o.Fields)
		want[statusKey[o.Status]]++
	}
	got := map[string]int{}
	for k := range want {
		got[k] = r.Summary[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary does not count the objects (-objects +summary):\n%s", diff)
	}
}

// secrets are the values of secrets.txt that must never be printed.
func secrets(t *testing.T, dir string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "secrets.txt"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if s := strings.TrimSpace(line); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func key(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
