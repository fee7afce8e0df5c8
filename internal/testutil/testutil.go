// Package testutil holds helpers shared by driftgate's tests and benchmarks.
package testutil

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing the test after 30 s. It bounds a wait for
// something eventually consistent; it does not time anything.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

// BenchP50 runs op b.N times and reports the median of single runs as p50-ns.
func BenchP50(b *testing.B, op func()) {
	samples := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		op()
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns")
}

// WaitWithin polls cond until it holds, failing the test if it does not within d. Use it where
// the issue states a bound ("shows up within 5 s"); it asserts the bound, not a speed.
func WaitWithin(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen within %s", what, d)
}

// BuildDriftgate builds the driftgate binary into dir, with `make build`'s flags so the build
// cache is shared, and returns its path.
func BuildDriftgate(dir string) (string, error) {
	bin := filepath.Join(dir, "driftgate")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/driftgate/driftgate/cmd/driftgate")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building driftgate: %w\n%s", err, out)
	}
	return bin, nil
}

// MustBuildDriftgate is BuildDriftgate failing the test on error.
func MustBuildDriftgate(t testing.TB, dir string) string {
	t.Helper()
	bin, err := BuildDriftgate(dir)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// Run runs a binary and returns its stdout, stderr and exit code; it fails the test only when
// the binary could not be run at all.
func Run(t testing.TB, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	}
	t.Fatal(err)
	return "", "", 0
}

// FreePorts picks n distinct free ports on 127.0.0.1 (the listeners stay open until all are
// picked); another program could still take one before the test binds it.
func FreePorts(n int) ([]int, error) {
	out := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close()
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
