// Package webhook is driftgate's validating admission webhook: it turns an AdmissionRequest into
// the policy input (ownership, changed field paths, covering grants, mode), asks the Rego policy,
// and answers the API server, so that only GitOps controllers write GitOps-owned objects.
package webhook
