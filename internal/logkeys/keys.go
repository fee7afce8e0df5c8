// Package logkeys defines, once, the keys of driftgate's structured log lines.
package logkeys

const (
	User        = "user"
	Operation   = "operation"
	Resource    = "resource"
	Subresource = "subresource"
	Namespace   = "namespace"
	Name        = "name"
	Allowed     = "allowed"
	Reason      = "reason"
	Mode        = "mode"
	Writer      = "writer"
	Grant       = "grant"
	Ticket      = "ticket"
	DryRun      = "dryRun"
	UID         = "uid"
	Policy      = "policyVersion"
	Dir         = "dir"
	Path        = "path"
	Error       = "error"
	Version     = "version"
	CertMode    = "certMode"
	Phase       = "phase"
	Source      = "source"
	Revision    = "revision"
	Object      = "object"
)
