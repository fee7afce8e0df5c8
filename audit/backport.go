package audit

import (
	"fmt"
	"slices"
	"time"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// Backport states of a break-glass edit (the values of BreakGlassEdit status.backport).
const (
	BackportRequired = "Required"
	BackportDone     = "Backported"
	BackportReverted = "Reverted"
	// BackportNotApplied: the write never landed.
	BackportNotApplied = "NotApplied"
)

// Edit is what a break-glass edit changed, as the audit needs it.
type Edit struct {
	// Operation is CREATE, UPDATE or DELETE.
	Operation string
	// Changes are the paths an UPDATE changed; Old or New is nil where the field was absent.
	Changes []EditChange
}

// EditChange is one recorded path with the values before and after the write.
type EditChange struct {
	Path     string
	Old, New any
}

// Resolution is where an edit stands against Git and the live object.
type Resolution struct {
	// State is Required, Backported or Reverted.
	State string
	// Open are the edit's paths where live and Git still differ.
	Open []string
	// Reason says in a few words why the edit is in its state.
	Reason string
}

// Backport decides an edit's state from the object as Git wants it and as it is live (nil when
// absent on that side). Only the edit's own paths decide: Git holding the live values at every
// path makes it Backported, live holding Git's values again makes it Reverted. Which of the two,
// when live and Git agree, is told by Git: Backported when Git holds a value the edit wrote.
func (d *Differ) Backport(e Edit, desired, live *Object) (Resolution, error) {
	switch {
	case desired == nil && live == nil:
		if e.Operation == "CREATE" {
			return Resolution{State: BackportReverted, Reason: "the object the edit created is gone and Git does not define it"}, nil
		}
		return Resolution{State: BackportDone, Reason: "the object is gone and Git no longer defines it"}, nil
	case live == nil:
		return Resolution{State: BackportRequired, Reason: "the object is deleted live but Git still defines it"}, nil
	case desired == nil:
		return Resolution{State: BackportRequired, Reason: "the object is live but Git does not define it"}, nil
	case e.Operation == "DELETE":
		return Resolution{State: BackportReverted, Reason: "the deleted object is back as Git defines it"}, nil
	}
	r, err := d.DiffObject(*desired, *live)
	if err != nil {
		return Resolution{}, fmt.Errorf("comparing %s: %w", desired.Source, err)
	}
	if e.Operation == "CREATE" || len(e.Changes) == 0 {
		return wholeObject(r), nil
	}
	return d.byPaths(e, desired, r)
}

// wholeObject resolves an edit without paths (a create) by the drift of the whole object.
func wholeObject(r ObjectReport) Resolution {
	if len(r.Fields) == 0 {
		return Resolution{State: BackportDone, Reason: "Git defines the object as it is live"}
	}
	open := make([]string, 0, len(r.Fields))
	for _, f := range r.Fields {
		open = append(open, f.Path)
	}
	return Resolution{State: BackportRequired, Open: open, Reason: "the object differs from Git"}
}

func (d *Differ) byPaths(e Edit, desired *Object, r ObjectReport) (Resolution, error) {
	drifted := make([][]fieldpath.Segment, 0, len(r.Fields))
	for _, f := range r.Fields {
		segs, err := fieldpath.Parse(f.Path)
		if err != nil {
			return Resolution{}, fmt.Errorf("drifted path %q: %w", f.Path, err)
		}
		drifted = append(drifted, segs)
	}
	var open []string
	backported := false
	for _, c := range e.Changes {
		segs, err := fieldpath.Parse(c.Path)
		if err != nil {
			return Resolution{}, fmt.Errorf("edit path %q: %w", c.Path, err)
		}
		if overlaps(segs, drifted) {
			open = append(open, c.Path)
			continue
		}
		backported = backported || gitHolds(desired, segs, c)
	}
	switch {
	case len(open) > 0:
		return Resolution{State: BackportRequired, Open: open, Reason: "live and Git still differ at the edited paths"}, nil
	case backported:
		return Resolution{State: BackportDone, Reason: "Git holds the values the edit wrote"}, nil
	default:
		return Resolution{State: BackportReverted, Reason: "live holds Git's values again at the edited paths"}, nil
	}
}

// overlaps reports whether a drifted path is at, above or below the edited path.
func overlaps(edited []fieldpath.Segment, drifted [][]fieldpath.Segment) bool {
	return slices.ContainsFunc(drifted, func(p []fieldpath.Segment) bool { return fieldpath.Overlap(p, edited) })
}

// gitHolds reports whether Git holds the value the change wrote (and that value is new). A masked
// Secret value cannot be told apart, so a resolved Secret change counts as held by Git.
func gitHolds(desired *Object, segs []fieldpath.Segment, c EditChange) bool {
	if c.New == Sensitive || c.Old == Sensitive {
		return true
	}
	if semanticEqual(c.Old, c.New) {
		return false
	}
	v, _ := fieldpath.Lookup(desired.Content, segs)
	return semanticEqual(v, c.New)
}

// LandingGrace is how long after it was recorded a write that does not show live yet may still
// land: the record is written before the write is answered. Past it, the write never landed.
const LandingGrace = 10 * time.Second

// Landed reports whether the live object shows the edit's write: the created object exists,
// the deleted one is gone, or every changed path holds the value written.
func Landed(e Edit, live *Object) bool {
	switch e.Operation {
	case "CREATE":
		return live != nil
	case "DELETE":
		return live == nil
	}
	if live == nil {
		return false
	}
	for _, c := range e.Changes {
		if c.New == Sensitive {
			continue
		}
		segs, err := fieldpath.Parse(c.Path)
		if err != nil {
			return false
		}
		v, _ := fieldpath.Lookup(live.Content, segs)
		if !semanticEqual(v, c.New) {
			return false
		}
	}
	return true
}
