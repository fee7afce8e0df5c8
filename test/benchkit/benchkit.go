// Package benchkit is what the benchmark commands (test/load/fluxbench, test/load/peerbench)
// share: how they run, the machine they report beside their numbers and its load, min / median /
// mean / max and percentiles of repeated measurements, and the JSON file of every sample.
package benchkit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Main runs a benchmark command named name: run with the command line's arguments and stdout,
// until it returns or SIGINT or SIGTERM cancels its context. flag.ErrHelp (-help, answered by
// the flag set) ends it with exit status 0; another error is printed as one line and ends it with
// exit status 1.
func Main(name string, run func(ctx context.Context, args []string, out io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+": "+err.Error())
		os.Exit(1)
	}
}

// Rates parses a flag's comma-separated list of positive whole numbers (rates); an empty list is
// none.
func Rates(flagName, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, err := strconv.Atoi(f)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("--%s %q: want positive whole numbers, comma-separated", flagName, list)
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadJSON reads the JSON file at path into v.
func ReadJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteJSON writes v, indented, to path (its directory created).
func WriteJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// Machine is where and when a benchmark ran.
type Machine struct {
	Date      string     `json:"date"`
	NProc     int        `json:"nproc"`
	CPU       string     `json:"cpu"`
	MemTotal  string     `json:"memTotal"`
	Kernel    string     `json:"kernel"`
	Go        string     `json:"go"`
	Driftgate string     `json:"driftgate"`
	Args      []string   `json:"args"`
	LoadStart [3]float64 `json:"loadStart"`
	LoadEnd   [3]float64 `json:"loadEnd"`
}

// Facts reads the machine's facts now; Driftgate and LoadEnd are the caller's to fill in.
func Facts() Machine {
	m := Machine{
		Date:      time.Now().UTC().Format(time.RFC3339),
		NProc:     runtime.NumCPU(),
		CPU:       procField("/proc/cpuinfo", "model name"),
		MemTotal:  procField("/proc/meminfo", "MemTotal"),
		Go:        runtime.Version(),
		Args:      os.Args[1:],
		LoadStart: LoadAvg(),
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

// procField is the first value of key in a /proc file such as /proc/cpuinfo ("" when absent:
// some VMs give no CPU model).
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

// LoadAvg is /proc/loadavg's 1, 5 and 15-minute load averages.
func LoadAvg() [3]float64 {
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

// Print writes the machine's facts and the load at the start.
func (m Machine) Print(out io.Writer) {
	cpu := m.CPU
	if cpu == "" {
		cpu = "(no model name in /proc/cpuinfo)"
	}
	fmt.Fprintf(out, "date %s; nproc %d; CPU %s; MemTotal %s; kernel %s\n%s\nload average at start %.2f %.2f %.2f\n",
		m.Date, m.NProc, cpu, m.MemTotal, m.Kernel, m.Go, m.LoadStart[0], m.LoadStart[1], m.LoadStart[2])
}

// Stats are min, median, mean and max.
type Stats struct{ Min, Median, Mean, Max float64 }

// Summarize is the Stats of v (zero when empty); the median of an even count is the mean of the
// middle two.
func Summarize(v []float64) Stats {
	if len(v) == 0 {
		return Stats{}
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
	return Stats{Min: s[0], Median: med, Mean: sum / float64(len(s)), Max: s[len(s)-1]}
}

// Percentile is the q-quantile of v (0 < q <= 1) by rank, the value at index n*q of the sorted
// samples (the load tool's way); 0 when v is empty.
func Percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}
