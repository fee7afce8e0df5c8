package report

import (
	"encoding/json"
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// Report is the incident-closure report of one ticket. Its JSON form is documented in
// docs/reports.md; field names are stable.
type Report struct {
	Ticket      string     `json:"ticket"`
	GeneratedAt time.Time  `json:"generatedAt"`
	Since       *time.Time `json:"since,omitempty"`
	Until       *time.Time `json:"until,omitempty"`
	Verdict     Verdict    `json:"verdict"`
	// Notes are facts worth knowing that do not decide the verdict: grants still active or
	// pending, edits whose grant is gone, truncated records, stale or unknown drift.
	Notes      []string   `json:"notes"`
	Grants     []Grant    `json:"grants"`
	Edits      []Edit     `json:"edits"`
	OtherDrift OtherDrift `json:"otherDrift"`
	Timeline   []Event    `json:"timeline"`
}

// Verdict says whether the ticket may be closed and, if not, what is still open.
type Verdict struct {
	// Ready is true only when every edit is Backported, or Reverted by a person.
	Ready bool `json:"ready"`
	// Summary is "READY TO CLOSE", "NOT READY" (an edit is Required) or "REVIEW BEFORE CLOSING"
	// (none is, but a GitOps controller undid one).
	Summary string `json:"summary"`
	// Reason says why, in one sentence.
	Reason    string     `json:"reason"`
	OpenItems []OpenItem `json:"openItems"`
	// Undone are the edits a GitOps controller's self-heal put Git's values back over: the
	// incident fix is gone without anyone deciding so.
	Undone []UndoneItem `json:"undone"`
}

// Verdict summaries.
const (
	SummaryReady    = "READY TO CLOSE"
	SummaryNotReady = "NOT READY"
	SummaryReview   = "REVIEW BEFORE CLOSING"
)

// UndoneItem is an edit Reverted by a GitOps controller, with what to do about it.
type UndoneItem struct {
	Edit   string    `json:"edit"`
	Time   time.Time `json:"time"`
	User   string    `json:"user"`
	Object Object    `json:"object"`
	// Paths are the edit's changed paths, now Git's values again.
	Paths []string `json:"paths"`
	// By is the GitOps controller's field manager; At when it wrote, if known.
	By string     `json:"by"`
	At *time.Time `json:"at,omitempty"`
	// Do says what to do: confirm the revert is intended, or backport the fix.
	Do string `json:"do"`
}

// OpenItem is one edit still Required, with the two ways to resolve it.
type OpenItem struct {
	Edit      string    `json:"edit"`
	Time      time.Time `json:"time"`
	User      string    `json:"user"`
	Operation string    `json:"operation"`
	Object    Object    `json:"object"`
	// Paths are the edit's paths where live and Git still differ (all its changed paths when the
	// audit has not said which).
	Paths     []string `json:"paths"`
	File      string   `json:"file,omitempty"`
	GitSource string   `json:"gitSource,omitempty"`
	// Backport is what to change in Git; Revert is how to undo the change live instead.
	Backport string `json:"backport"`
	Revert   string `json:"revert"`
	// SelfHeal says whether the GitOps controller is kept from undoing the fix meanwhile.
	SelfHeal *SelfHeal `json:"selfHeal,omitempty"`
	// SkippedInGit is set when Git marks the object driftgate.io/skip: the audit will never
	// decide the edit, so a person decides whether the ticket can close.
	SkippedInGit string `json:"skippedInGit,omitempty"`
	// Waiting is, while the object is paused for the fix, what Git holds that the GitOps
	// controller has not applied: it applies it when the edit is resolved.
	Waiting []Waiting `json:"waiting,omitempty"`
}

// Waiting is what a GitSource sees differ on a paused object beyond the ticket's paths.
type Waiting struct {
	GitSource string   `json:"gitSource"`
	Revision  string   `json:"revision,omitempty"`
	Paths     []string `json:"paths"`
	// Text says it in words: "Git moved on: ...; Flux will apply revision R when the edit is
	// resolved".
	Text string `json:"text"`
}

// SelfHeal is the edit's self-heal protection (its SelfHealProtected condition).
type SelfHeal struct {
	// Protected is true while the GitOps controller leaves the object alone.
	Protected bool `json:"protected"`
	// Reason is Held, PausedInGit, Lifted, Off, OptedOut, NoSwitch or Forbidden.
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Grant is one break-glass grant of the ticket.
type Grant struct {
	Name        string     `json:"name"`
	Requester   string     `json:"requester"`
	Reason      string     `json:"reason"`
	Scope       Scope      `json:"scope"`
	Duration    string     `json:"duration"`
	Phase       string     `json:"phase"`
	RequestedAt *time.Time `json:"requestedAt,omitempty"`
	// Approvals is empty for a grant nobody approved ("unapproved").
	Approvals   []Approval `json:"approvals"`
	ActivatedAt *time.Time `json:"activatedAt,omitempty"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	End         GrantEnd   `json:"end"`
}

// Scope is what a grant covered.
type Scope struct {
	Namespaces []string `json:"namespaces"`
	Resources  []string `json:"resources"`
}

// Approval is one approver's consent.
type Approval struct {
	User    string    `json:"user"`
	Time    time.Time `json:"time"`
	Comment string    `json:"comment,omitempty"`
}

// GrantEnd is how a grant ended, or that it has not.
type GrantEnd struct {
	// State is expired, revoked, denied, active (still allows writes) or pending.
	State string `json:"state"`
	// Time is when it ended (expired, revoked, denied) or will end (active); absent when unknown.
	Time   *time.Time `json:"time,omitempty"`
	By     string     `json:"by,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// Text says it in words: "revoked by bob at 2026-11-21T10:40:00Z (fixed)".
	Text string `json:"text"`
}

// Grant end states.
const (
	EndExpired = "expired"
	EndRevoked = "revoked"
	EndDenied  = "denied"
	EndActive  = "active"
	EndPending = "pending"
)

// Edit is one recorded write.
type Edit struct {
	Name string `json:"name"`
	// Grant is empty for a write let through by warn mode without a grant.
	Grant string `json:"grant,omitempty"`
	// GrantFound is false when the edit names a grant that no longer exists.
	GrantFound       bool      `json:"grantFound"`
	Ticket           string    `json:"ticket,omitempty"`
	User             string    `json:"user"`
	Time             time.Time `json:"time"`
	Operation        string    `json:"operation"`
	Mode             string    `json:"mode,omitempty"`
	Object           Object    `json:"object"`
	Changes          []Change  `json:"changes"`
	ChangesTruncated bool      `json:"changesTruncated,omitempty"`
	Backport         Backport  `json:"backport"`
	SelfHeal         *SelfHeal `json:"selfHeal,omitempty"`
}

// Object names the object an edit wrote.
type Object struct {
	APIVersion  string `json:"apiVersion"`
	Kind        string `json:"kind"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name"`
}

// String is "Kind namespace/name" ("Kind name" when cluster-scoped).
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// Change is one changed path with its old and new values as compact JSON; null where absent,
// "(sensitive)" for Secret values.
type Change struct {
	Path string          `json:"path"`
	Old  json.RawMessage `json:"old"`
	New  json.RawMessage `json:"new"`
}

// Backport is where an edit stands against Git.
type Backport struct {
	// State is Required, Backported or Reverted.
	State      string     `json:"state"`
	Revision   string     `json:"revision,omitempty"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
	GitSource  string     `json:"gitSource,omitempty"`
	File       string     `json:"file,omitempty"`
	OpenPaths  []string   `json:"openPaths"`
	// RevertedBy is who put Git's values back, for a Reverted edit when it is known.
	RevertedBy *RevertedBy `json:"revertedBy,omitempty"`
	// SkippedInGit says why the audit does not decide the edit: Git marks its object
	// driftgate.io/skip: "true" (the edit's BackportTracked condition). Such an edit stays
	// Required and is closed by a person's decision.
	SkippedInGit string `json:"skippedInGit,omitempty"`
}

// RevertedBy is who put Git's values back over an edit.
type RevertedBy struct {
	// FieldManager owns the edited fields now; User made the recorded write (Edit) that did it.
	FieldManager string `json:"fieldManager,omitempty"`
	User         string `json:"user,omitempty"`
	Edit         string `json:"edit,omitempty"`
	// GitOps is true when a GitOps controller did it (self-heal), not a person.
	GitOps bool       `json:"gitOps"`
	Time   *time.Time `json:"time,omitempty"`
}

// String is "kustomize-controller (GitOps)", "alice (kubectl-set)" or "alice", as the edit's
// status says it.
func (b *RevertedBy) String() string {
	if b == nil {
		return ""
	}
	return (&v1alpha1.Reverter{FieldManager: b.FieldManager, User: b.User, GitOps: b.GitOps}).String()
}

// undone reports whether a GitOps controller reverted the edit.
func (b Backport) undone() bool {
	return b.State == string(v1alpha1.Reverted) && b.RevertedBy != nil && b.RevertedBy.GitOps
}

// OtherDrift is drift the Git audit reports on the edited objects, outside the ticket's paths.
type OtherDrift struct {
	// Known is false when no GitSource could be read or none exists: other drift is unknown.
	Known bool `json:"known"`
	// Note says why it is unknown ("listing GitSources is forbidden for alice").
	Note    string        `json:"note,omitempty"`
	Objects []DriftedItem `json:"objects"`
}

// DriftedItem is one GitSource's view of one edited object.
type DriftedItem struct {
	Object    Object    `json:"object"`
	GitSource string    `json:"gitSource"`
	Revision  string    `json:"revision,omitempty"`
	Stale     bool      `json:"stale,omitempty"`
	Status    string    `json:"status"`
	Paths     []string  `json:"paths"`
	Managers  []string  `json:"managers"`
	FirstSeen time.Time `json:"firstSeen"`
}

// Event is one step of the timeline.
type Event struct {
	Time time.Time `json:"time"`
	// Kind is requested, approved, denied, activated, write, backported, reverted, revoked or
	// expired.
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Grant string `json:"grant,omitempty"`
	Edit  string `json:"edit,omitempty"`
}

// edit finds an edit of the report by name.
func (r Report) edit(name string) (Edit, bool) {
	for _, e := range r.Edits {
		if e.Name == name {
			return e, true
		}
	}
	return Edit{}, false
}
