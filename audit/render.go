package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// SplitPaths splits a comma-separated list of paths, keeping the commas inside a list selector
// ("spec.ports[port=53,protocol=UDP]").
func SplitPaths(s string) []string {
	var out []string
	for _, p := range fieldpath.SplitList(s) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// WriteJSON writes the report in the SPEC's JSON format.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}

// TextStyle colours text output; the zero value writes plain text.
type TextStyle struct {
	Color bool
}

func (s TextStyle) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// WriteText writes the report for people: each object that is not in sync, each drifted path
// with its Git and live values, then a total line.
func WriteText(w io.Writer, r *Report, style TextStyle) error {
	var b strings.Builder
	for _, o := range r.Objects {
		if o.Status == InSync {
			continue
		}
		writeObject(&b, o, style)
	}
	for _, o := range r.Skipped {
		writeObject(&b, o, style) // "Kind ns/name: skipped"
	}
	b.WriteString(totalLine(r))
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func writeObject(b *strings.Builder, o ObjectReport, style TextStyle) {
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + o.Name
	}
	colour := map[Status]string{Drifted: "33", Missing: "31", Orphaned: "35"}[o.Status]
	fmt.Fprintf(b, "%s %s: %s\n", o.Kind, name, style.paint(colour, string(o.Status)))
	for _, n := range o.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	for _, f := range o.Fields {
		by := ""
		if f.Manager != "" {
			by = ", by " + f.Manager
		}
		fmt.Fprintf(b, "  %s\n    git:  %s\n    live: %s\n    (%s, %s%s)\n",
			style.paint("1", f.Path), textValue(f.Desired), textValue(f.Live), f.Category, f.Severity, by)
	}
}

func totalLine(r *Report) string {
	s := r.Summary
	if !r.HasDrift() {
		return fmt.Sprintf("no drift: %d objects in sync\n", s.Objects)
	}
	return fmt.Sprintf("%d of %d objects differ from Git: %d drifted (%d fields), %d missing, %d orphaned; %d in sync\n",
		s.Objects-s.InSync, s.Objects, s.Drifted, s.Fields, s.Missing, s.Orphaned, s.InSync)
}

// textValue writes a value on one line: strings quoted, absent as "(absent)", the rest as JSON.
func textValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "(absent)"
	case string:
		if t == Sensitive {
			return t
		}
		return strconv.Quote(t)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
