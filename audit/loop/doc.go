// Package loop is the audit loop of `driftgate serve`: for every GitSource it fetches and renders
// the manifests on the source's interval, diffs them against live objects kept current by watches,
// writes the outcome to the source's status, emits events when objects start and stop drifting,
// exports metrics, and resolves the backport state of every break-glass edit.
package loop
