package report

import (
	"fmt"
	"html/template"
	"io"
)

// htmlPage is what the HTML template renders: one report, or several (--all-open).
type htmlPage struct {
	Title   string
	Multi   bool
	Reports []htmlReport
}

// htmlReport is a report with its open items' hints rendered as HTML.
type htmlReport struct {
	Report
	Items []htmlItem
}

type htmlItem struct {
	OpenItem
	BackportHTML, RevertHTML template.HTML
}

// htmlRenderer holds the parsed page template.
type htmlRenderer struct {
	tmpl *template.Template
}

func newHTMLRenderer() (*htmlRenderer, error) {
	t, err := template.New("report").Funcs(template.FuncMap{
		"stamp":     stamp,
		"approvers": func(g Grant) string { return approversText(g, func(s string) string { return s }) },
		"backport":  func(b Backport) template.HTML { return template.HTML(backportText(b, htmlStyle())) },
		"codes":     func(s []string) template.HTML { return template.HTML(codeList(s, htmlStyle())) },
		"value":     func(c Change) template.HTML { return template.HTML(valueChange(c, htmlStyle())) },
		"grant":     func(e Edit) template.HTML { return template.HTML(grantCell(e, htmlStyle().code)) },
		"drift":     driftStatus,
	}).Parse(pageTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the HTML report template: %w", err)
	}
	return &htmlRenderer{tmpl: t}, nil
}

// htmlStyle escapes every part taken from the records: hints are built from escaped pieces only.
func htmlStyle() style {
	return style{
		code: func(s string) string { return "<code>" + template.HTMLEscapeString(s) + "</code>" },
		text: template.HTMLEscapeString,
	}
}

func writeHTML(w io.Writer, rs []Report, multi bool) error {
	r, err := newHTMLRenderer()
	if err != nil {
		return err
	}
	if err := r.tmpl.Execute(w, page(rs, multi)); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func page(rs []Report, multi bool) htmlPage {
	p := htmlPage{Title: "Open break-glass tickets", Multi: multi}
	if !multi && len(rs) == 1 {
		p.Title = "Break-glass report: " + rs[0].Ticket
	}
	for _, r := range rs {
		p.Reports = append(p.Reports, htmlReport{Report: r, Items: htmlItems(r)})
	}
	return p
}

func htmlItems(r Report) []htmlItem {
	out := make([]htmlItem, 0, len(r.Verdict.OpenItems))
	for _, it := range r.Verdict.OpenItems {
		e, _ := r.edit(it.Edit)
		out = append(out, htmlItem{OpenItem: it,
			BackportHTML: template.HTML(backportHint(it, htmlStyle())),
			RevertHTML:   template.HTML(revertHint(it, e, htmlStyle())),
		})
	}
	return out
}
