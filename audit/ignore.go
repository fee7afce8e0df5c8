package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// parsePatterns parses ignore paths in the SPEC notation (fieldpath.Parse: a key `*` matches any
// key, `[*]` any item; a pattern matches its path and everything below it); blank entries are
// skipped.
func parsePatterns(paths []string) ([][]fieldpath.Segment, error) {
	var out [][]fieldpath.Segment
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		segs, err := fieldpath.Parse(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		out = append(out, segs)
	}
	return out, nil
}

func (w *walker) ignored(n node) bool {
	if n.depth == 0 {
		return false
	}
	for _, p := range w.ignore {
		if fieldpath.Matches(p, w.segs[:n.depth]) {
			return true
		}
	}
	if len(w.ignoreManagers) > 0 {
		for _, o := range n.own {
			if o.whole() && slices.Contains(w.ignoreManagers, o.m.name) {
				return true
			}
		}
	}
	return false
}

// ignoredManagers are the managers of the rules that select the object (IgnoreRule.Managers).
func (d *Differ) ignoredManagers(live Object) []string {
	var out []string
	for _, r := range d.rules {
		if len(r.rule.Managers) > 0 && r.selects(live) {
			out = append(out, r.rule.Managers...)
		}
	}
	return out
}

// ignoreFor collects the ignore patterns for one object: --ignore-fields, the config rules that
// select it, and the driftgate.io/ignore-fields annotation of its copy in Git.
func (d *Differ) ignoreFor(desired, live Object) ([][]fieldpath.Segment, error) {
	out := append([][]fieldpath.Segment(nil), d.ignore...)
	for _, r := range d.rules {
		if r.selects(live) {
			out = append(out, r.patterns...)
		}
	}
	raw, _ := desired.Annotations()[IgnoreAnnotation].(string)
	if raw == "" {
		return out, nil
	}
	ps, err := parsePatterns(fieldpath.SplitList(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: annotation %s: %w", desired.Source, IgnoreAnnotation, err)
	}
	return append(out, ps...), nil
}

func (r compiledRule) selects(o Object) bool {
	match := func(want, got string) bool { return want == "" || want == "*" || want == got }
	return match(r.rule.Group, o.Group()) && match(r.rule.Kind, o.Kind()) &&
		match(r.rule.Namespace, o.Namespace()) && match(r.rule.Name, o.Name())
}
