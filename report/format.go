package report

import (
	"fmt"
	"io"
)

// Format is an output format of the report.
type Format string

// The formats: Markdown for a ticket or pull request, JSON for scripts, HTML for a person.
const (
	Markdown Format = "markdown"
	JSON     Format = "json"
	HTML     Format = "html"
)

// ParseFormat reads -o: markdown (also md), json or html.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "markdown", "md", "":
		return Markdown, nil
	case "json":
		return JSON, nil
	case "html":
		return HTML, nil
	}
	return "", fmt.Errorf("-o %q: want markdown, json or html", s)
}

// Write renders one report.
func Write(w io.Writer, f Format, r Report) error {
	switch f {
	case JSON:
		return writeJSON(w, r)
	case HTML:
		return writeHTML(w, []Report{r}, false)
	}
	return writeMarkdown(w, r)
}

// WriteAll renders the reports of several tickets (BuildOpen) as one document: Markdown with an
// overview and one section per ticket, JSON {"reports": [...]}, or one HTML page.
func WriteAll(w io.Writer, f Format, rs []Report) error {
	switch f {
	case JSON:
		return writeJSON(w, struct {
			Reports []Report `json:"reports"`
		}{nonNil(rs)})
	case HTML:
		return writeHTML(w, rs, true)
	}
	return writeMarkdownAll(w, rs)
}
