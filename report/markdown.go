package report

import (
	"fmt"
	"io"
	"strings"
)

// mdWriter writes Markdown lines and keeps the first error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) line(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format+"\n", args...)
	}
}

func writeMarkdown(w io.Writer, r Report) error {
	m := &mdWriter{w: w}
	m.report(r)
	return m.err
}

func writeMarkdownAll(w io.Writer, rs []Report) error {
	m := &mdWriter{w: w}
	m.line("# Open break-glass tickets")
	m.line("")
	if len(rs) == 0 {
		m.line("No open tickets: every recorded edit is backported to Git or reverted.")
		return m.err
	}
	tickets := make([]string, 0, len(rs))
	for _, r := range rs {
		tickets = append(tickets, mdCode(r.Ticket))
	}
	m.line("%d ticket(s) have edits still to backport or revert: %s.", len(rs), strings.Join(tickets, ", "))
	for _, r := range rs {
		m.line("")
		m.line("---")
		m.line("")
		m.report(r)
	}
	return m.err
}

func (m *mdWriter) report(r Report) {
	m.line("# Break-glass report: %s", mdText(r.Ticket))
	m.line("")
	m.line("**%s**: %s.", r.Verdict.Summary, mdText(r.Verdict.Reason))
	m.line("")
	m.line("Generated %s%s.", stamp(r.GeneratedAt), windowText(r))
	m.openItems(r)
	m.undone(r.Verdict.Undone)
	m.notes(r.Notes)
	m.grants(r.Grants)
	m.edits(r.Edits)
	m.otherDrift(r.OtherDrift)
	m.timeline(r.Timeline)
}

// windowText is the --since/--until window, if any.
func windowText(r Report) string {
	var parts []string
	if r.Since != nil {
		parts = append(parts, "since "+stamp(*r.Since))
	}
	if r.Until != nil {
		parts = append(parts, "until "+stamp(*r.Until))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; grants and edits " + strings.Join(parts, " and ")
}

func (m *mdWriter) openItems(r Report) {
	if len(r.Verdict.OpenItems) == 0 {
		return
	}
	m.line("")
	m.line("## Open items")
	m.line("")
	for i, it := range r.Verdict.OpenItems {
		e, _ := r.edit(it.Edit)
		m.line("%d. **%s**: %s by %s at %s (edit %s)", i+1, mdText(it.Object.String()), mdText(it.Operation),
			mdText(it.User), stamp(it.Time), mdCode(it.Edit))
		if len(it.Paths) > 0 {
			m.line("   - still open: %s", codeList(it.Paths, mdStyle()))
		}
		if it.SkippedInGit != "" {
			m.line("   - skipped: %s", mdText(it.SkippedInGit))
		}
		m.line("   - %s", backportHint(it, mdStyle()))
		m.line("   - or %s", revertHint(it, e, mdStyle()))
		if it.SelfHeal != nil {
			m.line("   - self-heal: %s", mdText(it.SelfHeal.Message))
		}
		for _, w := range it.Waiting {
			m.line("   - %s", waitingText(w, mdStyle()))
		}
	}
}

func (m *mdWriter) undone(items []UndoneItem) {
	if len(items) == 0 {
		return
	}
	m.line("")
	m.line("## Undone by the GitOps controller")
	m.line("")
	for i, it := range items {
		m.line("%d. **%s**: %s's edit %s at %s", i+1, mdText(it.Object.String()), mdText(it.User), mdCode(it.Edit), stamp(it.Time))
		if len(it.Paths) > 0 {
			m.line("   - back to Git's values: %s", codeList(it.Paths, mdStyle()))
		}
		m.line("   - %s", mdText(it.Do))
	}
}

func (m *mdWriter) notes(notes []string) {
	if len(notes) == 0 {
		return
	}
	m.line("")
	m.line("## Notes")
	m.line("")
	for _, n := range notes {
		m.line("- %s", mdText(n))
	}
}

func (m *mdWriter) grants(grants []Grant) {
	m.line("")
	m.line("## Grants")
	if len(grants) == 0 {
		m.line("")
		m.line("None: the edits of this ticket were made without a grant, or their grants are gone.")
	}
	for _, g := range grants {
		m.line("")
		m.line("### Grant %s", mdCode(g.Name))
		m.line("")
		m.line("- Requester: %s", mdText(g.Requester))
		m.line("- Approvers: %s", approversText(g, mdText))
		m.line("- Reason: %s", mdText(g.Reason))
		m.line("- Scope: namespaces %s; resources %s", codeList(g.Scope.Namespaces, mdStyle()), codeList(g.Scope.Resources, mdStyle()))
		m.line("- Window: %s (%s)", g.Window(), mdText(g.Duration))
		m.line("- Ended: %s", mdText(g.End.Text))
	}
}

// approversText is "bob (at T), carol (at T)" or "unapproved".
func approversText(g Grant, text func(string) string) string {
	if len(g.Approvals) == 0 {
		return "unapproved"
	}
	parts := make([]string, 0, len(g.Approvals))
	for _, a := range g.Approvals {
		p := text(a.User) + " at " + stamp(a.Time)
		if a.Comment != "" {
			p += " (" + text(a.Comment) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
