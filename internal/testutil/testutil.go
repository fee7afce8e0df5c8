// Package testutil holds helpers shared by driftgate's tests and benchmarks.
package testutil

import (
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
