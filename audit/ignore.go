package audit

import (
	"fmt"
	"strconv"
	"strings"
)

// pathPattern is an ignore path split into segments: map keys (unquoted) and list selectors
// ("[name=app]", "[0]"). A key "*" matches any key, a selector "[*]" any item; a pattern matches
// its path and everything below it.
type pathPattern []string

// parsePatterns parses ignore paths in the SPEC notation; blank entries are skipped.
func parsePatterns(paths []string) ([]pathPattern, error) {
	var out []pathPattern
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		segs, err := splitPath(p)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", p, err)
		}
		out = append(out, segs)
	}
	return out, nil
}

// splitPath splits a path of the SPEC notation into segments.
func splitPath(p string) (pathPattern, error) {
	var segs pathPattern
	for i := 0; i < len(p); {
		switch {
		case p[i] == '.' && i > 0 && (i+1 == len(p) || p[i+1] == '.' || p[i+1] == '['):
			return nil, fmt.Errorf("empty key at offset %d", i+1)
		case p[i] == '.' && i > 0:
			i++
		case p[i] == '[':
			seg, n, err := bracket(p[i:])
			if err != nil {
				return nil, err
			}
			segs, i = append(segs, seg), i+n
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("empty key at offset %d", i)
			}
			segs, i = append(segs, p[i:j]), j
		}
	}
	return segs, nil
}

// bracket reads one "[...]" at the start of s: a quoted map key, or a list selector kept whole.
// It returns the segment and the bytes read.
func bracket(s string) (string, int, error) {
	if strings.HasPrefix(s, `["`) {
		q, err := strconv.QuotedPrefix(s[1:])
		if err != nil || !strings.HasPrefix(s[1+len(q):], "]") {
			return "", 0, fmt.Errorf("bad quoted key in %q", s)
		}
		key, _ := strconv.Unquote(q)
		return key, len(q) + 2, nil
	}
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case s[i] == ']' && !inQuote:
			return s[:i+1], i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unclosed [ in %q", s)
}

// splitList splits comma-separated paths, keeping commas inside brackets ("ports[port=53,protocol=UDP]").
func splitList(s string) []string {
	var out []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '[' && !inQuote:
			depth++
		case c == ']' && !inQuote:
			depth--
		case c == ',' && depth == 0 && !inQuote:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// matches reports whether path is at or below the pattern.
func (p pathPattern) matches(path pathPattern) bool {
	if len(path) < len(p) {
		return false
	}
	for i, seg := range p {
		got := path[i]
		switch {
		case seg == got, seg == "*" && !strings.HasPrefix(got, "["), seg == "[*]" && strings.HasPrefix(got, "["):
		default:
			return false
		}
	}
	return true
}

func (w *walker) ignored(n node) bool {
	if len(w.ignore) == 0 || n.depth == 0 {
		return false
	}
	segs, err := splitPath(w.path(n))
	if err != nil {
		return false
	}
	for _, p := range w.ignore {
		if p.matches(segs) {
			return true
		}
	}
	return false
}

// ignoreFor collects the ignore patterns for one object: --ignore-fields, the config rules that
// select it, and the driftgate.io/ignore-fields annotation of its copy in Git.
func (d *Differ) ignoreFor(desired, live Object) ([]pathPattern, error) {
	out := append([]pathPattern(nil), d.ignore...)
	for _, r := range d.rules {
		if r.selects(live) {
			out = append(out, r.patterns...)
		}
	}
	raw, _ := desired.Annotations()[ignoreAnnotation].(string)
	if raw == "" {
		return out, nil
	}
	ps, err := parsePatterns(splitList(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: annotation %s: %w", desired.Source, ignoreAnnotation, err)
	}
	return append(out, ps...), nil
}

func (r compiledRule) selects(o Object) bool {
	match := func(want, got string) bool { return want == "" || want == "*" || want == got }
	return match(r.rule.Group, o.Group()) && match(r.rule.Kind, o.Kind()) &&
		match(r.rule.Namespace, o.Namespace()) && match(r.rule.Name, o.Name())
}
