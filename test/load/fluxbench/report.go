package main

import (
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driftgate/driftgate/test/benchkit"
)

type results struct {
	GitOps     string           `json:"gitops,omitempty"` // "flux" (also when absent: older runs) or "argocd"
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished"`
	Machine    machine          `json:"machine"`
	FirstSync  firstSync        `json:"firstSync"`
	Reconciles []sample         `json:"reconciles"`
	Backports  []backportSample `json:"backports"`
	// Argo CD: the Application's sync options, and whether the syncs applied changes (--change).
	SyncOptions []string `json:"syncOptions,omitempty"`
	Change      bool     `json:"change,omitempty"`
	// --writes: the kinds of write, and each window of them.
	WriteKinds []writeKind   `json:"writeKinds,omitempty"`
	Writes     []writeWindow `json:"writes,omitempty"`
}

type firstSync struct {
	Wall float64 `json:"wallSeconds"` // Flux objects created -> Kustomization Ready at the commit (Argo CD: Application created -> sync Succeeded)
	// Argo CD: the first sync's finishedAt - startedAt, whole seconds.
	StartedToFinished *float64 `json:"startedToFinishedSeconds,omitempty"`
	delta
}

// machine is benchkit's, and the GitOps controller's binaries.
type machine struct {
	benchkit.Machine
	Flux   string `json:"flux,omitempty"`
	ArgoCD string `json:"argocd,omitempty"`
}

func machineFacts(o *options) machine {
	m := machine{Machine: benchkit.Facts()}
	if o.gitops == gitopsArgoCD {
		m.ArgoCD = "application controller and repo server from " + o.argocd
	} else {
		m.Flux = "source-controller and kustomize-controller from " + o.flux
	}
	return m
}

func pick(samples []sample, arm string, f func(sample) float64) []float64 {
	var out []float64
	for _, s := range samples {
		if s.Arm == arm {
			out = append(out, f(s))
		}
	}
	return out
}

func printResults(out io.Writer, r *results) {
	argo := r.GitOps == gitopsArgoCD
	dg, _, _ := strings.Cut(r.Machine.Driftgate, "\n")
	fmt.Fprintf(out, "\n== Results (%s; %s; fluxbench %s; load average at end %.2f %.2f %.2f) ==\n", r.Machine.Date, dg,
		strings.Join(r.Machine.Args, " "), r.Machine.LoadEnd[0], r.Machine.LoadEnd[1], r.Machine.LoadEnd[2])
	fs := r.FirstSync
	if argo {
		fmt.Fprintf(out, "First sync (creates the app): %s from creating the Application to the sync Succeeded (finishedAt - startedAt %s); in that window %.0f syncs and %.0f comparisons with Git, %.0f admission requests to driftgate (kube-apiserver's count; by driftgate's writer class: %v), %.0f denied, %.0f errors; kube-apiserver waited %s for driftgate in all; writes to the app's kinds: %s\n",
			secs(fs.Wall), wholeSecs(fs.StartedToFinished), fs.Reconciles, fs.Comparisons, fs.APIWebhookCalls, fs.Decisions, fs.Denied, fs.Errors, secs(fs.APIWebhookSecs), writesText(fs.Writes, 1))
	} else {
		fmt.Fprintf(out, "First sync (creates the app): %.0f reconciles, %s from creating the Flux objects to Ready; %.0f admission requests to driftgate (kube-apiserver's count; by driftgate's writer class: %v), %.0f denied, %.0f errors; kube-apiserver waited %s for driftgate in all\n",
			fs.Reconciles, secs(fs.Wall), fs.APIWebhookCalls, fs.Decisions, fs.Denied, fs.Errors, secs(fs.APIWebhookSecs))
	}

	unit, what := "reconcile", "Steady-state reconciles (nothing to change)"
	if argo {
		unit, what = "sync", "Syncs of the same commit"
		if r.Change {
			what = "Syncs that apply a change (two commits in turn)"
		}
		if len(r.SyncOptions) > 0 {
			what += ", syncOptions " + strings.Join(r.SyncOptions, ",")
		}
	}
	fmt.Fprintf(out, "\n%s, n per arm = %d, ABBA order:\n", what, len(pick(r.Reconciles, "on", func(s sample) float64 { return 0 })))
	fmt.Fprintf(out, "%-58s %-4s %10s %10s %10s %10s\n", "", "arm", "min", "median", "mean", "max")
	row := func(name, arm string, f func(sample) float64, format func(float64) string) {
		st := benchkit.Summarize(pick(r.Reconciles, arm, f))
		fmt.Fprintf(out, "%-58s %-4s %10s %10s %10s %10s\n", name, arm, format(st.Min), format(st.Median), format(st.Mean), format(st.Max))
	}
	count := func(v float64) string {
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	both := func(name string, f func(sample) float64, format func(float64) string) {
		for _, arm := range []string{"on", "off"} {
			row(name, arm, f, format)
		}
	}
	if argo {
		both("operation (controller log: time_ms)", func(s sample) float64 { return s.ReconcileSeconds }, secs)
		both("  of it the sync: dry run, applies (sync/terminate)", func(s sample) float64 { return s.SyncPhaseSeconds }, secs)
		both("finishedAt - startedAt (whole seconds)", func(s sample) float64 {
			if s.StartedToFinished == nil {
				return 0
			}
			return *s.StartedToFinished
		}, secs)
		both("wall: operation set -> Succeeded (watch)", func(s sample) float64 { return s.Wall }, secs)
		both("comparisons with Git in the window", func(s sample) float64 { return s.Comparisons }, count)
	} else {
		both("reconcile duration (gotk_reconcile_duration_seconds)", func(s sample) float64 { return s.ReconcileSeconds }, secs)
		both("wall: requestedAt set -> handled and Ready (watch)", func(s sample) float64 { return s.Wall }, secs)
	}
	row("admission requests to driftgate (kube-apiserver count)", "on", func(s sample) float64 { return s.APIWebhookCalls }, count)
	row("  of them decided for writer class gitops (driftgate)", "on", func(s sample) float64 { return s.Decisions["gitops"] }, count)
	row("kube-apiserver's time waiting for driftgate, per "+unit, "on", func(s sample) float64 { return s.APIWebhookSecs }, secs)
	row("driftgate's handler time, per "+unit, "on", func(s sample) float64 { return s.HandlerSeconds }, secs)
	row("admission requests to driftgate (kube-apiserver count)", "off", func(s sample) float64 { return s.APIWebhookCalls }, count)
	both("1-minute load average before the "+unit, func(s sample) float64 { return s.Load1 }, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	for _, arm := range []string{"on", "off"} {
		n := 0
		total := map[string]float64{}
		for _, s := range r.Reconciles {
			if s.Arm == arm {
				n++
				for k, v := range s.Writes {
					total[k] += v
				}
			}
		}
		if n > 0 && (argo || len(total) > 0) {
			fmt.Fprintf(out, "writes to the app's kinds per %s, mean (kube-apiserver, any writer), %s: %s\n", unit, arm, writesText(total, n))
		}
	}
	var denied, failed float64
	for _, s := range r.Reconciles {
		denied += s.Denied
		failed += s.Errors + s.APIWebhookFailed + s.HandlerNon200
	}
	fmt.Fprintf(out, "denied during the measured %ss: %.0f; failed webhook calls or decision errors: %.0f\n", unit, denied, failed)
	primary := "reconcile duration"
	if argo {
		primary = "operation"
	}
	medianDiff(out, r.Reconciles, primary, func(s sample) float64 { return s.ReconcileSeconds })
	if argo {
		medianDiff(out, r.Reconciles, "sync (sync/terminate)", func(s sample) float64 { return s.SyncPhaseSeconds })
	}

	printWrites(out, r)

	if len(r.Backports) > 0 {
		fmt.Fprintf(out, "\nGit push -> Backported, n = %d:\n", len(r.Backports))
		fmt.Fprintf(out, "%-58s %10s %10s %10s %10s\n", "", "min", "median", "mean", "max")
		brow := func(name string, f func(backportSample) float64) {
			var v []float64
			for _, s := range r.Backports {
				v = append(v, f(s))
			}
			st := benchkit.Summarize(v)
			fmt.Fprintf(out, "%-58s %10s %10s %10s %10s\n", name, secs(st.Min), secs(st.Median), secs(st.Mean), secs(st.Max))
		}
		brow("git push (go-git over HTTP)", func(s backportSample) float64 { return s.Push })
		brow("push done -> GitSource status at the commit", func(s backportSample) float64 { return s.ToRevision })
		brow("push done -> BreakGlassEdit Backported at the commit", func(s backportSample) float64 { return s.ToBackported })
		brow("Backported -> Flux's reconcile switch lifted (seen)", func(s backportSample) float64 { return s.Lifted })
	}
}

// medianDiff prints median(on) - median(off) of f, its bootstrap interval and the adjacent
// pairs' median difference.
func medianDiff(out io.Writer, samples []sample, name string, f func(sample) float64) {
	onV, offV := pick(samples, "on", f), pick(samples, "off", f)
	lo, hi := bootstrapMedianDiff(onV, offV)
	on, off := benchkit.Summarize(onV).Median, benchkit.Summarize(offV).Median
	fmt.Fprintf(out, "%s: median on - median off: %s (%s of median off; 95%% bootstrap interval %s to %s); median of the adjacent on/off pairs' differences: %s\n",
		name, secs(on-off), percentOf(on-off, off), secs(lo), secs(hi), secs(pairDiffMedian(samples, f)))
}

// percentOf is d as a signed percentage of base.
func percentOf(d, base float64) string {
	if base == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*d/base)
}

// writesText is writes divided by n, sorted by key ("none" when empty).
func writesText(writes map[string]float64, n int) string {
	if len(writes) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(writes)) {
		parts = append(parts, fmt.Sprintf("%s %s", k, strconv.FormatFloat(writes[k]/float64(n), 'f', -1, 64)))
	}
	return strings.Join(parts, ", ")
}

func wholeSecs(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.0f s", *v)
}

// pairDiffMedian is the median of f(on) - f(off) over the schedule's adjacent pairs (on off,
// off on, ...).
func pairDiffMedian(samples []sample, f func(sample) float64) float64 {
	var d []float64
	for i := 0; i+1 < len(samples); i += 2 {
		a, b := samples[i], samples[i+1]
		if a.Arm == b.Arm {
			continue
		}
		if a.Arm == "off" {
			a, b = b, a
		}
		d = append(d, f(a)-f(b))
	}
	return benchkit.Summarize(d).Median
}

// bootstrapMedianDiff is the 2.5th and 97.5th percentiles of median(on) - median(off) over
// 10,000 resamples (with replacement, each arm on its own; a fixed seed, so reruns on the same
// samples agree).
func bootstrapMedianDiff(on, off []float64) (float64, float64) {
	if len(on) == 0 || len(off) == 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(17, 5))
	resample := func(v []float64) float64 {
		r := make([]float64, len(v))
		for i := range r {
			r[i] = v[rng.IntN(len(v))]
		}
		return benchkit.Summarize(r).Median
	}
	const n = 10000
	d := make([]float64, n)
	for i := range d {
		d[i] = resample(on) - resample(off)
	}
	slices.Sort(d)
	return d[n*25/1000], d[n*975/1000]
}

// reprint prints the tables of a results.json.
func reprint(path string, out io.Writer) error {
	r := &results{}
	if err := benchkit.ReadJSON(path, r); err != nil {
		return err
	}
	r.Machine.Print(out)
	printResults(out, r)
	return nil
}

func writeResults(path string, r *results, out io.Writer) error {
	if err := benchkit.WriteJSON(path, r); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nevery sample: %s\n", path)
	return nil
}
