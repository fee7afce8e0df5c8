package backport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// States of an edit in a backport.
const (
	// Written: every open path of the edit is in the commit.
	Written = "written"
	// NotWritten: the edit could not be written (Reason says why); nothing of it is committed.
	NotWritten = "not-written"
	// ByHand: a Secret's edit; its values never leave the cluster, so a person writes it.
	ByHand = "by-hand"
	// NothingToDo: Git already holds the live values at the edit's paths.
	NothingToDo = "nothing-to-do"
)

// Target is one edit to write back, with its object as Git renders it and as it is live (nil
// when absent on that side).
type Target struct {
	Edit    *v1alpha1.BreakGlassEdit
	Desired *audit.Object
	Live    *audit.Object
}

// PathResult is one path of an edit: Git's value before and the live value written (nil where
// absent; "(sensitive)" for a Secret), and the files changed.
type PathResult struct {
	Path  string   `json:"path"`
	Old   any      `json:"old"`
	New   any      `json:"new"`
	Files []string `json:"files,omitempty"`
}

// EditResult is what a backport did with one edit.
type EditResult struct {
	Edit   string       `json:"edit"`
	Ticket string       `json:"ticket"`
	Grant  string       `json:"grant,omitempty"`
	User   string       `json:"user"`
	Object string       `json:"object"`
	State  string       `json:"state"`
	Reason string       `json:"reason,omitempty"`
	Paths  []PathResult `json:"paths"`
}

// Plan turns the targets into file changes on fsys (through loc) and says, per edit, what was
// written and why not. An edit is written whole or not at all.
func Plan(fsys fs.FS, loc Locator, targets []Target, changes Changes) []EditResult {
	out := make([]EditResult, 0, len(targets))
	for _, t := range targets {
		r := planEdit(fsys, loc, t, changes)
		out = append(out, r)
	}
	return out
}

func planEdit(fsys fs.FS, loc Locator, t Target, changes Changes) EditResult {
	e := t.Edit
	r := EditResult{Edit: e.Name, Ticket: e.Spec.Ticket, Grant: e.Spec.Grant, User: e.Spec.User, Object: ObjectName(e.Spec.Object), Paths: []PathResult{}}
	paths := openPaths(e)
	if e.Spec.Object.IsSecret() {
		r.State, r.Reason = ByHand, "a Secret's values never leave the cluster: change "+strings.Join(paths, ", ")+" in Git by hand"
		for _, p := range paths {
			r.Paths = append(r.Paths, PathResult{Path: p, Old: v1alpha1.Sensitive, New: v1alpha1.Sensitive})
		}
		return r
	}
	switch {
	case e.Spec.Operation == "CREATE":
		return notWritten(r, "the edit created the object: add its manifest to Git by hand")
	case e.Spec.Operation == "DELETE":
		return notWritten(r, "the edit deleted the object: remove its manifest from Git by hand")
	case t.Desired == nil:
		return notWritten(r, "the GitSource's revision does not define the object")
	case t.Live == nil:
		return notWritten(r, "the object is gone live: there is no live value to write")
	case len(paths) == 0:
		r.State = NothingToDo
		return r
	}
	var writes []Write
	for _, p := range paths {
		segs, err := fieldpath.Parse(p)
		if err != nil {
			return notWritten(r, fmt.Sprintf("path %s: %v", p, err))
		}
		old, _ := fieldpath.Lookup(any(t.Desired.Content), segs)
		value, present := fieldpath.Lookup(any(t.Live.Content), segs)
		ws, err := loc.Locate(*t.Desired, segs, value, !present)
		if err != nil {
			if errors.Is(err, ErrUnplaceable) || errors.Is(err, errNotPlaceable) {
				return notWritten(r, fmt.Sprintf("%s: %v", p, err))
			}
			return notWritten(r, fmt.Sprintf("%s: %v", p, err))
		}
		pr := PathResult{Path: p, Old: old, New: value}
		for _, w := range ws {
			if !slices.Contains(pr.Files, w.File) {
				pr.Files = append(pr.Files, w.File)
			}
		}
		r.Paths = append(r.Paths, pr)
		writes = append(writes, ws...)
	}
	if err := Apply(fsys, changes, writes); err != nil {
		return notWritten(r, err.Error())
	}
	r.State = Written
	return r
}

func notWritten(r EditResult, why string) EditResult {
	r.State, r.Reason, r.Paths = NotWritten, why, []PathResult{}
	return r
}

// openPaths are the paths of the edit still open: the audit's, else every changed path.
func openPaths(e *v1alpha1.BreakGlassEdit) []string {
	if len(e.Status.OpenPaths) > 0 {
		return e.Status.OpenPaths
	}
	out := make([]string, 0, len(e.Spec.Changes))
	for _, c := range e.Spec.Changes {
		out = append(out, c.Path)
	}
	return out
}

// ObjectName is "Kind namespace/name".
func ObjectName(o v1alpha1.ObjectReference) string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Message is the commit message of one ticket's backport: the ticket, its grants with requester
// and approvers, and each edit's paths old → new with their files. Secret values never appear.
func Message(ticket, extra string, grants []*v1alpha1.BreakGlassGrant, results []EditResult) string {
	written := 0
	for _, r := range results {
		if r.State == Written {
			written++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Backport %s: %d break-glass %s to Git\n\n", ticket, written, plural(written, "edit", "edits"))
	if extra != "" {
		b.WriteString(extra + "\n\n")
	}
	fmt.Fprintf(&b, "Ticket: %s\n", ticket)
	for _, g := range grants {
		approvers := make([]string, 0, len(g.Spec.Approvals))
		for _, a := range g.Spec.Approvals {
			approvers = append(approvers, a.User)
		}
		who := "no approvals"
		if len(approvers) > 0 {
			who = "approved by " + strings.Join(approvers, ", ")
		}
		fmt.Fprintf(&b, "Grant: %s, requested by %s, %s\n", g.Name, g.Spec.Requester, who)
	}
	b.WriteString("\n")
	for _, r := range results {
		if r.State != Written {
			continue
		}
		fmt.Fprintf(&b, "%s by %s (edit %s):\n", r.Object, r.User, r.Edit)
		for _, p := range r.Paths {
			fmt.Fprintf(&b, "  %s: %s → %s (%s)\n", p.Path, JSONValue(p.Old), JSONValue(p.New), strings.Join(p.Files, ", "))
		}
	}
	b.WriteString("\nWritten by driftgate backport.\n")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// JSONValue writes a value compactly, "null" when absent.
func JSONValue(v any) string {
	if s, ok := v.(string); ok && s == v1alpha1.Sensitive {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}
