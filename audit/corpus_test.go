package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir is the shared drift corpus (cases built on a real kube-apiserver); the test is skipped
// where it is absent. `make test` also checks it through the binary with check-drift.
const corpusDir = "../../shared/fixtures/drift"

type corpusObject struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Status    Status   `json:"status"`
	Paths     []string `json:"paths"`
}

func TestCorpus(t *testing.T) {
	cases, _ := filepath.Glob(filepath.Join(corpusDir, "*", "expected.json"))
	if len(cases) == 0 {
		t.Fatalf("no drift corpus at %s: check out ../shared next to this repository (CI has it)", corpusDir)
	}
	d := newTestDiffer(t, nil)
	for _, expected := range cases {
		dir := filepath.Dir(expected)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(expected)
			if err != nil {
				t.Fatal(err)
			}
			var want struct{ Objects []corpusObject }
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			got := corpusRun(t, d, dir)
			sortObjects := func(a, b corpusObject) int { return cmp3(a, b) }
			slices.SortFunc(want.Objects, sortObjects)
			for i := range want.Objects {
				slices.Sort(want.Objects[i].Paths)
			}
			if diff := cmp.Diff(want.Objects, got); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func corpusRun(t *testing.T, d *Differ, dir string) []corpusObject {
	t.Helper()
	desired, err := Load(filepath.Join(dir, "desired"))
	if err != nil {
		t.Fatal(err)
	}
	live, err := Load(filepath.Join(dir, "live"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Diff(desired, live)
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusObject
	for _, o := range r.Objects {
		out = append(out, corpusObject{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Status: o.Status, Paths: paths(o.Fields)})
	}
	return out
}

func cmp3(a, b corpusObject) int {
	for _, c := range [][2]string{{a.Kind, b.Kind}, {a.Namespace, b.Namespace}, {a.Name, b.Name}} {
		if c[0] != c[1] {
			if c[0] < c[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}
