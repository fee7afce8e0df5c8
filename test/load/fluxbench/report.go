package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
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
}

type firstSync struct {
	Wall float64 `json:"wallSeconds"` // Flux objects created -> Kustomization Ready at the commit (Argo CD: Application created -> sync Succeeded)
	// Argo CD: the first sync's finishedAt - startedAt, whole seconds.
	StartedToFinished *float64 `json:"startedToFinishedSeconds,omitempty"`
	delta
}

type machine struct {
	Date      string     `json:"date"`
	NProc     int        `json:"nproc"`
	CPU       string     `json:"cpu"`
	MemTotal  string     `json:"memTotal"`
	Kernel    string     `json:"kernel"`
	Go        string     `json:"go"`
	Driftgate string     `json:"driftgate"`
	Flux      string     `json:"flux,omitempty"`
	ArgoCD    string     `json:"argocd,omitempty"`
	Args      []string   `json:"args"`
	LoadStart [3]float64 `json:"loadStart"`
	LoadEnd   [3]float64 `json:"loadEnd"`
}

func machineFacts(o *options) machine {
	m := machine{
		Date:      time.Now().UTC().Format(time.RFC3339),
		NProc:     runtime.NumCPU(),
		CPU:       cpuinfo("model name"),
		MemTotal:  meminfo("MemTotal"),
		Go:        runtime.Version(),
		Args:      os.Args[1:],
		LoadStart: loadAvg(),
	}
	if o.gitops == gitopsArgoCD {
		m.ArgoCD = "application controller and repo server from " + o.argocd
	} else {
		m.Flux = "source-controller and kustomize-controller from " + o.flux
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("nproc").Output(); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil {
			m.NProc = n
		}
	}
	return m
}

// cpuinfo is the first value of key in /proc/cpuinfo ("" when absent: some VMs give no model).
func cpuinfo(key string) string {
	return procField("/proc/cpuinfo", key)
}

func meminfo(key string) string { return procField("/proc/meminfo", key) }

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg is /proc/loadavg's 1, 5 and 15-minute load averages.
func loadAvg() [3]float64 {
	var out [3]float64
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(raw))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}

func printMachine(out io.Writer, m machine) {
	cpu := m.CPU
	if cpu == "" {
		cpu = "(no model name in /proc/cpuinfo)"
	}
	fmt.Fprintf(out, "date %s; nproc %d; CPU %s; MemTotal %s; kernel %s\n%s\nload average at start %.2f %.2f %.2f\n",
		m.Date, m.NProc, cpu, m.MemTotal, m.Kernel, m.Go, m.LoadStart[0], m.LoadStart[1], m.LoadStart[2])
}

// stats is min, median, mean and max.
type stats struct{ min, median, mean, max float64 }

func summarize(v []float64) stats {
	if len(v) == 0 {
		return stats{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{min: s[0], median: med, mean: sum / float64(len(s)), max: s[len(s)-1]}
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
		st := summarize(pick(r.Reconciles, arm, f))
		fmt.Fprintf(out, "%-58s %-4s %10s %10s %10s %10s\n", name, arm, format(st.min), format(st.median), format(st.mean), format(st.max))
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

	if len(r.Backports) > 0 {
		fmt.Fprintf(out, "\nGit push -> Backported, n = %d:\n", len(r.Backports))
		fmt.Fprintf(out, "%-58s %10s %10s %10s %10s\n", "", "min", "median", "mean", "max")
		brow := func(name string, f func(backportSample) float64) {
			var v []float64
			for _, s := range r.Backports {
				v = append(v, f(s))
			}
			st := summarize(v)
			fmt.Fprintf(out, "%-58s %10s %10s %10s %10s\n", name, secs(st.min), secs(st.median), secs(st.mean), secs(st.max))
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
	fmt.Fprintf(out, "%s: median on - median off: %s (95%% bootstrap interval %s to %s); median of the adjacent on/off pairs' differences: %s\n",
		name, secs(summarize(onV).median-summarize(offV).median), secs(lo), secs(hi), secs(pairDiffMedian(samples, f)))
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
	return summarize(d).median
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
		return summarize(r).median
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
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r := &results{}
	if err := json.Unmarshal(raw, r); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	printMachine(out, r.Machine)
	printResults(out, r)
	return nil
}

func writeResults(path string, r *results, out io.Writer) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nevery sample: %s\n", path)
	return nil
}
