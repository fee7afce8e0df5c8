// Package breakglass holds the break-glass grant lifecycle: the rules every write to a grant or
// an edit record must pass (enforced by the webhook), the controller that moves grants through
// their phases and binds their RBAC, and the client operations behind `driftgate breakglass`.
package breakglass
