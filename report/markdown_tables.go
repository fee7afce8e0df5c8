package report

import (
	"strings"
)

func (m *mdWriter) row(cells ...string) {
	for i, c := range cells {
		cells[i] = mdCell(c)
	}
	m.line("| %s |", strings.Join(cells, " | "))
}

func (m *mdWriter) edits(edits []Edit) {
	m.line("")
	m.line("## Edits")
	m.line("")
	if len(edits) == 0 {
		m.line("None were recorded.")
		return
	}
	m.line("| Time | User | Grant | Operation | Object | Path | Old → new | Backport |")
	m.line("|---|---|---|---|---|---|---|---|")
	for _, e := range edits {
		head := []string{stamp(e.Time), mdText(e.User), grantCell(e, mdCode), mdText(e.Operation), mdText(e.Object.String())}
		state := backportText(e.Backport, mdStyle())
		if len(e.Changes) == 0 {
			m.row(append(head, "(whole object)", "", state)...)
			continue
		}
		for i, c := range e.Changes {
			if i > 0 {
				head, state = []string{"", "", "", "", ""}, ""
			}
			m.row(append(head, mdCode(c.Path), valueChange(c, mdStyle()), state)...)
		}
	}
}

// grantCell names the edit's grant: none for warn mode, "(deleted)" when it is gone.
func grantCell(e Edit, code func(string) string) string {
	switch {
	case e.Grant == "":
		return "none (warn mode)"
	case !e.GrantFound:
		return code(e.Grant) + " (deleted)"
	}
	return code(e.Grant)
}

// valueChange is "old → new", each as JSON.
func valueChange(c Change, s style) string {
	return s.code(shortValue(string(c.Old))) + " → " + s.code(shortValue(string(c.New)))
}

// maxShownValue bounds values in tables; the JSON report has them whole.
const maxShownValue = 120

func shortValue(v string) string {
	if len(v) <= maxShownValue {
		return v
	}
	return v[:maxShownValue] + "…"
}

// backportText is "Backported at revision R (T)", "Reverted at T" or "Required: open P; file F".
func backportText(b Backport, s style) string {
	switch b.State {
	case "Backported":
		return "Backported at revision " + s.code(orDefault(b.Revision, "(unknown)")) + resolved(b)
	case "Reverted":
		return "Reverted" + revertedByText(b.RevertedBy) + resolved(b)
	case "NotApplied":
		return "Not applied: the write never landed" + resolved(b)
	}
	out := "Required"
	if len(b.OpenPaths) > 0 {
		out += "; open: " + codeList(b.OpenPaths, s)
	}
	if b.File != "" {
		out += "; file " + s.code(b.File)
	}
	return out
}

// revertedByText is " by kustomize-controller (GitOps)", or "" when nobody can be told.
func revertedByText(by *RevertedBy) string {
	if by == nil {
		return ""
	}
	return " by " + by.String()
}

func resolved(b Backport) string {
	if b.ResolvedAt == nil {
		return ""
	}
	return " (" + stamp(*b.ResolvedAt) + ")"
}

func (m *mdWriter) otherDrift(d OtherDrift) {
	m.line("")
	m.line("## Other drift on the same objects")
	m.line("")
	switch {
	case !d.Known:
		m.line("Unknown: %s.", mdText(d.Note))
		return
	case len(d.Objects) == 0:
		m.line("None: the Git audit reports no drift on the edited objects beyond this ticket's own paths.")
		return
	}
	m.line("| Object | GitSource | Status | Paths | Managers | First seen |")
	m.line("|---|---|---|---|---|---|")
	for _, o := range d.Objects {
		m.row(mdText(o.Object.String()), mdCode(o.GitSource), driftStatus(o), orDefault(codeList(o.Paths, mdStyle()), "(whole object)"),
			mdText(strings.Join(o.Managers, ", ")), stamp(o.FirstSeen))
	}
}

// driftStatus is the status, marked when its source is stale.
func driftStatus(o DriftedItem) string {
	if o.Stale {
		return o.Status + " (stale)"
	}
	return o.Status
}

func (m *mdWriter) timeline(events []Event) {
	m.line("")
	m.line("## Timeline")
	m.line("")
	for _, e := range events {
		m.line("- %s %s: %s", stamp(e.Time), e.Kind, mdText(e.Text))
	}
}
