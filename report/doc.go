// Package report builds the incident-closure report of a break-glass ticket: its grants (who
// asked, who approved, why, for what and for how long, and how each ended), every write recorded
// under them with its backport state, other drift the Git audit sees on the same objects, and the
// verdict (ready to close only when every edit is Backported or Reverted) with what to do about
// each open edit. Build turns the cluster's records into a plain data model; Write renders it as
// Markdown (for a ticket or pull request), JSON (for scripts) or one self-contained HTML page.
// Output is deterministic: everything sorted, times in UTC RFC3339, Secret values masked.
// `driftgate report` uses it.
package report
