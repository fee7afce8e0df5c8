// Package config loads and validates driftgate.yaml, the operator's configuration: who the GitOps
// and system identities are, which markers make an object GitOps-owned, the admission modes and the
// break-glass limits. Every field has a default, so an absent file means the SPEC's defaults.
package config
