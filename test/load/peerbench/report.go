package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/driftgate/driftgate/test/benchkit"
)

type results struct {
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished"`
	Machine    benchkit.Machine `json:"machine"`
	Gatekeeper string           `json:"gatekeeper"` // the directory of its build (hack/gatekeeper.sh: keyed by version)
	Grants     int              `json:"grants"`
	GOGC       string           `json:"gogc"` // driftgate's and the floor's
	Rates      []int            `json:"rates"`
	SustainP99 float64          `json:"sustainP99Seconds"`
	Decisions  []decision       `json:"decisions"`
	Runs       []measurement    `json:"runs"`
	Saturation []saturation     `json:"saturation"`
}

// decision is how each server answered one decision check.
type decision struct {
	Review     string `json:"review"`
	Expected   string `json:"expected"`
	Driftgate  string `json:"driftgate"`
	Gatekeeper string `json:"gatekeeper"`
	Floor      string `json:"floor"`
}

func servers() []string { return []string{serverDriftgate, serverGatekeeper, serverFloor} }

func printRunHeader(out io.Writer) {
	fmt.Fprintf(out, "%-5s %-10s %-5s %6s %7s %6s %9s %9s %9s %9s %11s %6s %s\n",
		"round", "server", "kind", "rate", "sent", "errors", "p50", "p99", "p99.9", "max", "CPU s/1000", "load1", "")
}

func printRun(out io.Writer, r measurement) {
	note := ""
	switch {
	case r.Dropped > 0:
		note = fmt.Sprintf("fell behind: %d not sent (more than the --max-behind late)", r.Dropped)
	case r.Errors > 0:
		note = "first error: " + r.FirstError
	case !r.Sustained:
		note = "not sustained (p99 above --sustain-p99)"
	}
	fmt.Fprintf(out, "%-5d %-10s %-5s %6d %7d %6d %9s %9s %9s %9s %11.3f %6.2f %s\n",
		r.Round, r.Server, r.Kind, r.Rate, r.Requests-r.Dropped, r.Errors, ms(r.P50), ms(r.P99), ms(r.P999), ms(r.Max), r.cpuPer1000(), r.Load1, note)
}

// ms formats seconds as milliseconds, to three significant digits.
func ms(s float64) string {
	v := s * 1000
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
	default:
		return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
	}
}

// cell is one server at one fixed rate over the rounds.
type cell struct {
	p50, p99, p999, cpu     benchkit.Stats
	runs, errors, sustained int
}

func cellOf(r *results, server string, rate int) cell {
	var c cell
	var p50, p99, p999, cpu []float64
	for _, x := range r.Runs {
		if x.Server != server || x.Rate != rate || x.Kind != kindFixed {
			continue
		}
		c.runs++
		c.errors += x.Errors
		if x.Sustained {
			c.sustained++
		}
		p50, p99, p999, cpu = append(p50, x.P50), append(p99, x.P99), append(p999, x.P999), append(cpu, x.cpuPer1000())
	}
	c.p50, c.p99, c.p999, c.cpu = benchkit.Summarize(p50), benchkit.Summarize(p99), benchkit.Summarize(p999), benchkit.Summarize(cpu)
	return c
}

// roundRatios is min / median / max over the rounds of driftgate's p99 over peer's at rate.
func roundRatios(r *results, peer string, rate int) string {
	p99 := map[string]map[int]float64{serverDriftgate: {}, peer: {}}
	for _, x := range r.Runs {
		if x.Kind == kindFixed && x.Rate == rate && p99[x.Server] != nil {
			p99[x.Server][x.Round] = x.P99
		}
	}
	var v []float64
	for round, dg := range p99[serverDriftgate] {
		if p, ok := p99[peer][round]; ok && p > 0 {
			v = append(v, dg/p)
		}
	}
	if len(v) == 0 {
		return "n/a"
	}
	st := benchkit.Summarize(v)
	return ratio(st.Min, 1) + " / " + ratio(st.Median, 1) + " / " + ratio(st.Max, 1)
}

func mmm(s benchkit.Stats) string {
	return ms(s.Min) + " / " + ms(s.Median) + " / " + ms(s.Max)
}

// ratio is a/b to three significant digits ("n/a" when b is 0).
func ratio(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(a/b, 'g', 3, 64)
}

func printSummary(out io.Writer, r *results) {
	fmt.Fprintf(out, "\n== Results (%s to %s; load average at end %.2f %.2f %.2f) ==\n", r.Started.Format(time.RFC3339),
		r.Finished.Format(time.RFC3339), r.Machine.LoadEnd[0], r.Machine.LoadEnd[1], r.Machine.LoadEnd[2])
	fmt.Fprintf(out, "Gatekeeper from %s; %d grants in driftgate and in the constraint; GOGC %s for driftgate and the floor\n",
		r.Gatekeeper, r.Grants, r.GOGC)
	fmt.Fprintln(out, "\nFixed rates: latency from schedule, min / median / max over the rounds; errors summed; CPU seconds of the server process per 1,000 requests, median:")
	fmt.Fprintf(out, "%-6s %-10s %-29s %-29s %-29s %7s %10s %s\n", "rate", "server", "p50", "p99", "p99.9", "errors", "CPU/1000", "sustained")
	for _, rate := range r.Rates {
		for _, s := range servers() {
			c := cellOf(r, s, rate)
			if c.runs == 0 {
				continue
			}
			fmt.Fprintf(out, "%-6d %-10s %-29s %-29s %-29s %7d %10.3f %d of %d\n", rate, s, mmm(c.p50), mmm(c.p99), mmm(c.p999), c.errors, c.cpu.Median, c.sustained, c.runs)
		}
	}
	fmt.Fprintln(out, "\nRatios of the medians (below 1: driftgate lower):")
	fmt.Fprintf(out, "%-6s %-16s %-16s %-16s %-16s %-16s %-16s\n", "rate", "dg/gk p50", "dg/gk p99", "dg/gk CPU", "dg/floor p50", "dg/floor p99", "dg/floor CPU")
	for _, rate := range r.Rates {
		dg, gk, fl := cellOf(r, serverDriftgate, rate), cellOf(r, serverGatekeeper, rate), cellOf(r, serverFloor, rate)
		fmt.Fprintf(out, "%-6d %-16s %-16s %-16s %-16s %-16s %-16s\n", rate,
			ratio(dg.p50.Median, gk.p50.Median), ratio(dg.p99.Median, gk.p99.Median), ratio(dg.cpu.Median, gk.cpu.Median),
			ratio(dg.p50.Median, fl.p50.Median), ratio(dg.p99.Median, fl.p99.Median), ratio(dg.cpu.Median, fl.cpu.Median))
	}
	fmt.Fprintln(out, "\nThe same ratios of p99 within each round (a round's runs of a rate follow each other, so they share the machine's load), min / median / max:")
	fmt.Fprintf(out, "%-6s %-24s %-24s\n", "rate", "dg/gk p99", "dg/floor p99")
	for _, rate := range r.Rates {
		fmt.Fprintf(out, "%-6d %-24s %-24s\n", rate, roundRatios(r, serverGatekeeper, rate), roundRatios(r, serverFloor, rate))
	}
	if len(r.Saturation) > 0 {
		fmt.Fprintf(out, "\nSaturation (the highest rate sustained: no error, p99 from schedule <= %s), min / median / max over the rounds:\n", ms(r.SustainP99))
		for _, s := range servers() {
			var v []float64
			capped := false
			for _, x := range r.Saturation {
				if x.Server == s {
					v = append(v, float64(x.Rate))
					capped = capped || x.Capped
				}
			}
			st := benchkit.Summarize(v)
			note := ""
			if capped {
				note = " (a search reached --max-rate)"
			}
			fmt.Fprintf(out, "%-10s %.0f / %.0f / %.0f req/s%s\n", s, st.Min, st.Median, st.Max, note)
		}
	}
	printGoals(out, r)
	fmt.Fprintln(out)
	fmt.Fprintln(out, finalLine(r, serverGatekeeper, 500))
	fmt.Fprintln(out, finalLine(r, serverFloor, 1000))
}

// printGoals says whether issue 22's goals for this comparison are met, on the medians.
func printGoals(out io.Writer, r *results) {
	fmt.Fprintln(out, "\nGoals (issue 22), on the medians:")
	for _, rate := range r.Rates {
		dg, gk := cellOf(r, serverDriftgate, rate), cellOf(r, serverGatekeeper, rate)
		if gk.runs == 0 || gk.sustained < gk.runs {
			fmt.Fprintf(out, "  driftgate >= 10x lower p99 than Gatekeeper at %d req/s: not applicable, Gatekeeper sustained %d of %d runs\n", rate, gk.sustained, gk.runs)
			continue
		}
		met := dg.p99.Median > 0 && gk.p99.Median/dg.p99.Median >= 10
		fmt.Fprintf(out, "  driftgate >= 10x lower p99 than Gatekeeper at %d req/s: %s (Gatekeeper/driftgate %s)\n", rate, yesNo(met), ratio(gk.p99.Median, dg.p99.Median))
	}
	dg, fl := cellOf(r, serverDriftgate, 1000), cellOf(r, serverFloor, 1000)
	if dg.runs > 0 && fl.runs > 0 {
		met := fl.p99.Median > 0 && dg.p99.Median/fl.p99.Median <= 2
		fmt.Fprintf(out, "  driftgate within 2x of the floor's p99 at 1000 req/s: %s (driftgate/floor %s)\n", yesNo(met), ratio(dg.p99.Median, fl.p99.Median))
	}
}

func yesNo(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

// finalLine is "driftgate/<peer> p99 at <rate> req/s: R", the ratio of the median p99s, with a
// note when the peer did not sustain that rate in every round.
func finalLine(r *results, peer string, rate int) string {
	dg, p := cellOf(r, serverDriftgate, rate), cellOf(r, peer, rate)
	line := fmt.Sprintf("driftgate/%s p99 at %d req/s: ", peer, rate)
	if dg.runs == 0 || p.runs == 0 {
		return line + "not measured (--rates)"
	}
	line += ratio(dg.p99.Median, p.p99.Median)
	if p.sustained < p.runs {
		line += fmt.Sprintf(" (%s sustained %d of %d runs at that rate; its p99 is of the requests it answered)", peer, p.sustained, p.runs)
	}
	return line
}

func writeResults(path string, r *results, out io.Writer) error {
	if err := benchkit.WriteJSON(path, r); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nevery run: %s\n", path)
	return nil
}

// reprint prints the decisions, runs and summary of a results.json.
func reprint(path string, out io.Writer) error {
	r := &results{}
	if err := benchkit.ReadJSON(path, r); err != nil {
		return err
	}
	r.Machine.Print(out)
	for _, d := range r.Decisions {
		fmt.Fprintf(out, "decision: %-30s expected %-8s driftgate %-8s gatekeeper %-8s floor %s\n", d.Review, d.Expected, d.Driftgate, d.Gatekeeper, d.Floor)
	}
	printRunHeader(out)
	for _, x := range r.Runs {
		printRun(out, x)
	}
	printSummary(out, r)
	return nil
}
