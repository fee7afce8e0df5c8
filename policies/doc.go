// Package policies holds driftgate's admission policy, written in Rego and embedded in the binary,
// and the engine that evaluates it in-process with the OPA library: compiled once per policy
// version, hot-reloaded from an operator's directory, bounded by a deadline, failing closed.
package policies
