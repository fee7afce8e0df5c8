// Package audit finds drift between the manifests in Git and the live objects of a cluster, by the
// rules of the SPEC ("Drift: what counts"): a field set in Git whose live value differs
// semantically, a field a person's tool added live (additive drift, from managedFields), a field
// Git dropped that an earlier sync left behind, minus the never-drift list and ignore rules. It
// loads manifest sets, matches desired and live objects, classifies each drifted field and writes
// the diff report (text or the SPEC's JSON). `driftgate diff` and the audit loop both use it.
package audit
