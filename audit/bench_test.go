package audit

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The drift benchmarks diff generated Deployments (deployments_test.go): Git's copy against the
// API server's, 7.5% of them drifted. Objects are decoded before the timer starts: listing and
// decoding are not measured.
//
//	go test -run '^$' -bench 'Diff' -benchmem -cpu 1,2 -count 5 ./audit/

// driftSummary is what a Diff of generated pairs found: the counts, and the fields of each
// drifted object by namespace/name.
type driftSummary struct {
	Summary Summary
	Fields  map[string][]Field
}

// TestGeneratedDrift checks that Diff reports exactly the drift the generator made (quantities
// written differently in Git are not drift), so that BenchmarkDiff measures a correct diff.
func TestGeneratedDrift(t *testing.T) {
	const n = 1000
	pairs := deploymentPairs(t, n)
	want := driftSummary{Summary: Summary{Objects: n, InSync: n}, Fields: map[string][]Field{}}
	for _, p := range pairs {
		if len(p.want) == 0 {
			continue
		}
		want.Summary.InSync--
		want.Summary.Drifted++
		want.Summary.Fields += len(p.want)
		want.Fields[p.live.Namespace()+"/"+p.live.Name()] = p.want
	}
	if pct := 100 * want.Summary.Drifted / n; pct < 5 || pct > 10 {
		t.Fatalf("the generator drifted %d%% of the objects, want 5–10%%", pct)
	}
	r, err := newTestDiffer(t, nil).Diff(splitPairs(pairs))
	if err != nil {
		t.Fatal(err)
	}
	got := driftSummary{Summary: r.Summary, Fields: map[string][]Field{}}
	for _, o := range r.Objects {
		if len(o.Fields) > 0 || len(o.Notes) > 0 {
			got.Fields[o.Namespace+"/"+o.Name] = o.Fields
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

// TestGeneratedAsParsed checks that the generated desired objects are what Parse gives for the
// same manifests.
func TestGeneratedAsParsed(t *testing.T) {
	for _, p := range deploymentPairs(t, 8) {
		data, err := json.Marshal(p.desired.Content)
		if err != nil {
			t.Fatal(err)
		}
		parsed := parseOne(t, p.desired.Source, string(data))
		if diff := cmp.Diff(parsed.Content, p.desired.Content); diff != "" {
			t.Errorf("%s (-Parse +generated):\n%s", p.desired.Source, diff)
		}
	}
}

// BenchmarkDiff is one Diff of N desired Deployments against their live copies. objects/s counts
// by elapsed time, objects/cpu-s by the process's CPU time (all threads: with -cpu 2 the GC's
// background work runs on the second core).
func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			desired, live := splitPairs(deploymentPairs(b, n))
			d := newTestDiffer(b, nil)
			runtime.GC() // the generator's garbage is not the diff's
			cpu := processCPU()
			for b.Loop() {
				if _, err := d.Diff(desired, live); err != nil {
					b.Fatal(err)
				}
			}
			objects := float64(n) * float64(b.N)
			b.ReportMetric(objects/b.Elapsed().Seconds(), "objects/s")
			if cpu = processCPU() - cpu; cpu > 0 {
				// CPU time is less affected than elapsed time by other processes on the machine.
				b.ReportMetric(objects/cpu.Seconds(), "objects/cpu-s")
			}
		})
	}
}

// BenchmarkDiffObject is one DiffObject of a realistic in-sync pair (two containers, quantities
// written differently in Git, managedFields of three managers).
func BenchmarkDiffObject(b *testing.B) {
	p := deploymentPairs(b, 2)[1]
	d := newTestDiffer(b, nil)
	for b.Loop() {
		if _, err := d.DiffObject(p.desired, p.live); err != nil {
			b.Fatal(err)
		}
	}
}
