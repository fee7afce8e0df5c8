package main

import (
	"context"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/test/benchkit"
	"github.com/driftgate/driftgate/test/loadgen"
)

// Kinds of run.
const (
	kindFixed = "fixed" // one of --rates
	kindProbe = "probe" // a step of the saturation search
)

// measurement is one measured run of one server at one rate.
type measurement struct {
	Round    int     `json:"round"`
	Server   string  `json:"server"`
	Kind     string  `json:"kind"`
	Rate     int     `json:"rate"`
	Seconds  float64 `json:"seconds"`
	Requests int     `json:"requests"`
	// Errors counts requests that got no answer, a wrong one, or were dropped.
	Errors     int    `json:"errors"`
	Dropped    int    `json:"dropped"` // not sent: more than --max-behind late
	FirstError string `json:"firstError,omitempty"`
	// From schedule (the request's planned start), of the answered requests.
	P50  float64 `json:"p50Seconds"`
	P99  float64 `json:"p99Seconds"`
	P999 float64 `json:"p999Seconds"`
	Max  float64 `json:"maxSeconds"`
	// From send.
	SendP50 float64 `json:"sendP50Seconds"`
	SendP99 float64 `json:"sendP99Seconds"`
	// CPU is the server process's CPU time (user and system) during the measured run.
	CPU   float64 `json:"cpuSeconds"`
	Load1 float64 `json:"load1"` // 1-minute load average just before
	// Sustained: no error and p99 from schedule within --sustain-p99.
	Sustained bool `json:"sustained"`
}

// cpuPer1000 is the server's CPU seconds per 1,000 requests sent.
func (r measurement) cpuPer1000() float64 {
	sent := r.Requests - r.Dropped
	if sent <= 0 {
		return 0
	}
	return r.CPU / float64(sent) * 1000
}

// measure warms s up at rate, then measures it for d.
func (b *bench) measure(ctx context.Context, s *server, round int, kind string, rate int, warmup, d time.Duration) (measurement, error) {
	r := measurement{Round: round, Server: s.name, Kind: kind, Rate: rate, Seconds: d.Seconds()}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	s.gen.Fire(rate, b.o.connections, warmup) // opens the connections, warms caches; not counted
	r.Load1 = benchkit.LoadAvg()[0]
	cpu0, err := cpuSeconds(s.pid)
	if err != nil {
		return r, err
	}
	res := s.gen.Fire(rate, b.o.connections, d)
	cpu1, err := cpuSeconds(s.pid)
	if err != nil {
		return r, err
	}
	r.CPU = cpu1 - cpu0
	r.Requests, r.Errors, r.Dropped, r.FirstError = len(res.Latencies), res.Failures(), res.Dropped, res.FirstErr
	sched := loadgen.PercentilesOf(res.Answered(res.Latencies))
	send := loadgen.PercentilesOf(res.Answered(res.Service))
	r.P50, r.P99, r.P999, r.Max = sched.P50.Seconds(), sched.P99.Seconds(), sched.P999.Seconds(), sched.Max.Seconds()
	r.SendP50, r.SendP99 = send.P50.Seconds(), send.P99.Seconds()
	r.Sustained = r.Errors == 0 && sched.N > 0 && sched.P99 <= b.o.sustainP99
	b.res.Runs = append(b.res.Runs, r)
	printRun(b.out, r)
	// Let the server finish what it holds (at most one request per connection) and the
	// machine settle before the next run.
	time.Sleep(b.o.pause)
	return r, nil
}

// rotate is servers starting at the i-th: each round (and rate) puts another server first.
func rotate(servers []*server, i int) []*server {
	i %= len(servers)
	return append(append([]*server{}, servers[i:]...), servers[:i]...)
}

// measureAll runs the rounds: in each, every fixed rate for every server (the servers' order
// rotating), then a saturation search for every server.
func (b *bench) measureAll(ctx context.Context, servers []*server) error {
	for round := 1; round <= b.o.rounds; round++ {
		fmt.Fprintf(b.out, "\nround %d of %d: fixed rates\n", round, b.o.rounds)
		printRunHeader(b.out)
		for i, rate := range b.o.rates {
			for _, s := range rotate(servers, round+i) {
				if _, err := b.measure(ctx, s, round, kindFixed, rate, b.o.warmup, b.o.duration); err != nil {
					return err
				}
			}
		}
		if !b.o.saturation {
			continue
		}
		fmt.Fprintf(b.out, "\nround %d of %d: saturation search (probes of %s; sustained: no error and p99 from schedule <= %s)\n",
			round, b.o.rounds, b.o.probe, b.o.sustainP99)
		printRunHeader(b.out)
		for _, s := range rotate(servers, round) {
			sat, err := b.saturate(ctx, s, round)
			if err != nil {
				return err
			}
			b.res.Saturation = append(b.res.Saturation, sat)
			fmt.Fprintf(b.out, "round %d: %s sustains %s\n", round, s.name, sat.text())
		}
	}
	return nil
}

// saturation is the highest rate a server sustained in a round's search.
type saturation struct {
	Round  int    `json:"round"`
	Server string `json:"server"`
	Rate   int    `json:"rate"`
	// Capped: the search stopped at --max-rate, which the server sustained.
	Capped bool `json:"capped,omitempty"`
}

func (s saturation) text() string {
	if s.Capped {
		return fmt.Sprintf("%d req/s (--max-rate; the search went no higher)", s.Rate)
	}
	return fmt.Sprintf("%d req/s", s.Rate)
}

// saturate searches the highest rate s sustains, starting from what the round's fixed rates
// showed: doubling until a rate is not sustained, then halving the interval until its ends are
// within 10% (or --max-rate is reached, or the lowest rate probed, --min-rate, fails). Other
// work on the machine can only make a rate look unsustained, never the reverse, so a sustained
// rate counts as shown, and a failed probe is repeated once before the rate counts as too high;
// a fixed rate that failed below one that was sustained is disregarded.
func (b *bench) saturate(ctx context.Context, s *server, round int) (saturation, error) {
	sat := saturation{Round: round, Server: s.name}
	lo, hi := 0, 0 // highest sustained, lowest not sustained above it (0: none yet)
	for _, r := range b.res.Runs {
		if r.Round == round && r.Server == s.name && r.Kind == kindFixed && r.Sustained {
			lo = max(lo, r.Rate)
		}
	}
	for _, r := range b.res.Runs {
		if r.Round == round && r.Server == s.name && r.Kind == kindFixed && !r.Sustained && r.Rate > lo && (hi == 0 || r.Rate < hi) {
			hi = r.Rate
		}
	}
	// probe measures a rate (twice if it is not sustained the first time) and moves the end of
	// the interval it falls on.
	probe := func(rate int) error {
		for range 2 {
			r, err := b.measure(ctx, s, round, kindProbe, rate, b.o.probeWarmup, b.o.probe)
			if err != nil {
				return err
			}
			if r.Sustained {
				lo = rate
				return nil
			}
		}
		hi = rate
		return nil
	}
	for hi == 0 {
		if lo >= b.o.maxRate {
			sat.Rate, sat.Capped = lo, true
			return sat, nil
		}
		if err := probe(min(max(2*lo, b.o.minRate), b.o.maxRate)); err != nil {
			return sat, err
		}
	}
	for float64(hi) > 1.1*float64(lo) && hi > b.o.minRate {
		rate := roundRate((lo + hi) / 2)
		if rate <= lo || rate >= hi {
			break
		}
		if err := probe(rate); err != nil {
			return sat, err
		}
	}
	sat.Rate = lo
	return sat, nil
}

// roundRate rounds a probe's rate to 10 req/s.
func roundRate(r int) int { return max(10, (r+5)/10*10) }
