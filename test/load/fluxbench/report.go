package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished"`
	Machine    machine          `json:"machine"`
	FirstSync  firstSync        `json:"firstSync"`
	Reconciles []sample         `json:"reconciles"`
	Backports  []backportSample `json:"backports"`
}

type firstSync struct {
	Wall float64 `json:"wallSeconds"` // Flux objects created -> Kustomization Ready at the commit
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
	Flux      string     `json:"flux"`
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
		Flux:      "source-controller and kustomize-controller from " + o.flux,
		Args:      os.Args[1:],
		LoadStart: loadAvg(),
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
	dg, _, _ := strings.Cut(r.Machine.Driftgate, "\n")
	fmt.Fprintf(out, "\n== Results (%s; %s; fluxbench %s; load average at end %.2f %.2f %.2f) ==\n", r.Machine.Date, dg,
		strings.Join(r.Machine.Args, " "), r.Machine.LoadEnd[0], r.Machine.LoadEnd[1], r.Machine.LoadEnd[2])
	fs := r.FirstSync
	fmt.Fprintf(out, "First sync (creates the app): %.0f reconciles, %s from creating the Flux objects to Ready; %.0f admission requests to driftgate (kube-apiserver's count; by driftgate's writer class: %v), %.0f denied, %.0f errors; kube-apiserver waited %s for driftgate in all\n",
		fs.Reconciles, secs(fs.Wall), fs.APIWebhookCalls, fs.Decisions, fs.Denied, fs.Errors, secs(fs.APIWebhookSecs))

	fmt.Fprintf(out, "\nSteady-state reconciles (nothing to change), n per arm = %d, ABBA order:\n", len(pick(r.Reconciles, "on", func(s sample) float64 { return 0 })))
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
	for _, arm := range []string{"on", "off"} {
		row("reconcile duration (gotk_reconcile_duration_seconds)", arm, func(s sample) float64 { return s.ReconcileSeconds }, secs)
	}
	for _, arm := range []string{"on", "off"} {
		row("wall: requestedAt set -> handled and Ready (watch)", arm, func(s sample) float64 { return s.Wall }, secs)
	}
	row("admission requests to driftgate (kube-apiserver count)", "on", func(s sample) float64 { return s.APIWebhookCalls }, count)
	row("  of them decided for writer class gitops (driftgate)", "on", func(s sample) float64 { return s.Decisions["gitops"] }, count)
	row("kube-apiserver's time waiting for driftgate, per reconcile", "on", func(s sample) float64 { return s.APIWebhookSecs }, secs)
	row("driftgate's handler time, per reconcile", "on", func(s sample) float64 { return s.HandlerSeconds }, secs)
	row("admission requests to driftgate (kube-apiserver count)", "off", func(s sample) float64 { return s.APIWebhookCalls }, count)
	for _, arm := range []string{"on", "off"} {
		row("1-minute load average before the reconcile", arm, func(s sample) float64 { return s.Load1 }, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	}
	var denied, failed float64
	for _, s := range r.Reconciles {
		denied += s.Denied
		failed += s.Errors + s.APIWebhookFailed + s.HandlerNon200
	}
	fmt.Fprintf(out, "denied during the measured reconciles: %.0f; failed webhook calls or decision errors: %.0f\n", denied, failed)
	on := summarize(pick(r.Reconciles, "on", func(s sample) float64 { return s.ReconcileSeconds }))
	off := summarize(pick(r.Reconciles, "off", func(s sample) float64 { return s.ReconcileSeconds }))
	lo, hi := bootstrapMedianDiff(pick(r.Reconciles, "on", func(s sample) float64 { return s.ReconcileSeconds }),
		pick(r.Reconciles, "off", func(s sample) float64 { return s.ReconcileSeconds }))
	fmt.Fprintf(out, "median on - median off: %s (95%% bootstrap interval %s to %s); median of the adjacent on/off pairs' differences: %s\n",
		secs(on.median-off.median), secs(lo), secs(hi), secs(pairDiffMedian(r.Reconciles)))

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

// pairDiffMedian is the median of (on - off) over the schedule's adjacent pairs (on off, off on, ...).
func pairDiffMedian(samples []sample) float64 {
	var d []float64
	for i := 0; i+1 < len(samples); i += 2 {
		a, b := samples[i], samples[i+1]
		if a.Arm == b.Arm {
			continue
		}
		if a.Arm == "off" {
			a, b = b, a
		}
		d = append(d, a.ReconcileSeconds-b.ReconcileSeconds)
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
