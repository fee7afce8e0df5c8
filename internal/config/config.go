package config

import (
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Mode is how admission treats a write it would deny.
type Mode string

const (
	// ModeEnforce denies the write.
	ModeEnforce Mode = "enforce"
	// ModeWarn allows the write with a warning and records it as an unauthorized edit.
	ModeWarn Mode = "warn"
	// ModeDryRun allows the write and only logs and counts it.
	ModeDryRun Mode = "dryrun"
)

// Valid reports whether m is one of the known modes.
func (m Mode) Valid() bool {
	return m == ModeEnforce || m == ModeWarn || m == ModeDryRun
}

// ModeLabel is the namespace label that overrides the global mode.
const ModeLabel = "driftgate.io/mode"

// Config is the content of driftgate.yaml.
type Config struct {
	metav1.TypeMeta `json:",inline"`

	// Identities classifies the writers that are always allowed.
	Identities Identities `json:"identities"`
	// Markers are the labels and annotations that make an object GitOps-owned.
	Markers Markers `json:"markers"`
	// PauseSwitches are annotations only GitOps identities may add, change or remove.
	PauseSwitches []string `json:"pauseSwitches"`
	// Mode is the global admission mode; a namespace label driftgate.io/mode overrides it.
	Mode Mode `json:"mode"`
	// ExemptNamespaces are never intercepted (driftgate's own namespace and kube-system always are).
	ExemptNamespaces []string `json:"exemptNamespaces"`
	// Policy configures the Rego evaluation.
	Policy Policy `json:"policy"`
	// Webhook names the objects the webhook is served and registered as.
	Webhook Webhook `json:"webhook"`
	// BreakGlass bounds grants.
	BreakGlass BreakGlass `json:"breakGlass"`
	// Audit configures the drift audit.
	Audit Audit `json:"audit"`
}

// Identities lists the always-allowed writers, as the API server authenticates them.
type Identities struct {
	// GitOps are the GitOps controllers' user names.
	GitOps []string `json:"gitops"`
	// FluxTenantServiceAccounts are "namespace/name" service accounts Flux impersonates for tenants.
	FluxTenantServiceAccounts []string `json:"fluxTenantServiceAccounts"`
	// System are user names of system controllers.
	System []string `json:"system"`
	// SystemPrefixes match user names of system controllers by prefix.
	SystemPrefixes []string `json:"systemPrefixes"`
	// SystemGroups are groups whose members are system components (kubelets).
	SystemGroups []string `json:"systemGroups"`
	// Self is driftgate's own user name; empty means its service account in Webhook.Namespace.
	Self string `json:"self"`
	// WithoutCredential are user names of the lists above that count as who they name even
	// without a credential id: the API server puts one (a service-account token's JTI, a client
	// certificate's hash) in every request it authenticated from that identity's own credential,
	// and impersonation cannot set it. Anyone allowed to impersonate a name listed here writes as
	// it (docs/configuration.md). Flux tenant service accounts are always accepted so: Flux
	// impersonates them.
	WithoutCredential []string `json:"withoutCredential"`
}

// Markers are the ownership markers.
type Markers struct {
	Annotations []string `json:"annotations"`
	Labels      []string `json:"labels"`
	// ArgoCDTrackingLabel is the label Argo CD tracks resources with when its
	// application.resourceTrackingMethod is "label" (usually app.kubernetes.io/instance). Empty: off.
	ArgoCDTrackingLabel string `json:"argocdTrackingLabel"`
}

// Policy configures Rego.
type Policy struct {
	// Dir holds extra policy files, loaded beside the embedded ones and reloaded on change.
	Dir string `json:"dir"`
	// Timeout bounds one evaluation; on expiry the write is denied.
	Timeout metav1.Duration `json:"timeout"`
}

// Webhook names the webhook's Service and registration.
type Webhook struct {
	// Namespace is where driftgate runs; it is never intercepted.
	Namespace string `json:"namespace"`
	// ServiceName is the Service in front of the webhook server.
	ServiceName string `json:"serviceName"`
	// ConfigurationName is the ValidatingWebhookConfiguration driftgate keeps the CA bundle of.
	ConfigurationName string `json:"configurationName"`
	// FailurePolicy is Fail (default) or Ignore.
	FailurePolicy string `json:"failurePolicy"`
	// TimeoutSeconds is the API server's timeout for one call, 1 to 30.
	TimeoutSeconds int32 `json:"timeoutSeconds"`
	// URL, when set, is where the API server calls the webhook instead of the Service: for a
	// driftgate running outside the cluster (the local dev cluster, the tests). https only.
	URL string `json:"url,omitempty"`
	// Labels and Annotations are put on the configuration when driftgate recreates it: the
	// chart passes its own (Helm's ownership, cert-manager's CA injection) so that a recreated
	// object is still the release's.
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// BreakGlass bounds grants.
type BreakGlass struct {
	// ApprovalsRequired is how many distinct approvers a grant needs; 0 activates grants at once.
	ApprovalsRequired int `json:"approvalsRequired"`
	// ApproverGroups are the groups whose members may approve or deny grants.
	ApproverGroups []string `json:"approverGroups"`
	// AdminGroups are the groups whose members may revoke any grant.
	AdminGroups []string `json:"adminGroups"`
	// MaxDuration bounds spec.duration.
	MaxDuration metav1.Duration `json:"maxDuration"`
	// PendingTimeout is how long a grant may wait for approval before it is denied.
	PendingTimeout metav1.Duration `json:"pendingTimeout"`
	// ClusterRole is what an active grant's RoleBindings bind the requester to.
	ClusterRole string `json:"clusterRole"`
	// TicketPattern is a regular expression tickets must match; empty accepts any non-empty ticket.
	TicketPattern string `json:"ticketPattern"`
	// Namespaces grants may cover; empty allows any namespace driftgate intercepts.
	Namespaces []string `json:"namespaces"`
	// Resources grants may cover, as resource.group; empty allows any resource except driftgate's own.
	Resources []string `json:"resources"`
	// IdentityNamespacesAllowed are namespaces where a GitOps or driftgate service account lives
	// that grants may still cover. Any other such namespace is refused: a grant there would put
	// its requester beside the credentials of an identity that writes everything.
	IdentityNamespacesAllowed []string `json:"identityNamespacesAllowed"`
	// SelfHealProtection keeps the GitOps controller from undoing a break-glass edit while it is
	// Required: driftgate sets Flux's per-object switch (kustomize.toolkit.fluxcd.io/reconcile:
	// disabled) on the object, or for an Argo CD object argocd.argoproj.io/skip-reconcile: "true"
	// on its Application, and lifts it when the edit resolves. A namespace labelled
	// driftgate.io/self-heal-protection: "off" leaves its edits to self-heal.
	SelfHealProtection bool `json:"selfHealProtection"`
	// ArgoCDNamespace is where Argo CD's Applications live when an object's tracking id names no
	// namespace (default argocd): the self-heal protection pauses an Argo CD object's Application.
	ArgoCDNamespace string `json:"argocdNamespace"`
}

// Audit configures the drift audit against Git.
type Audit struct {
	// GitOpsManagers are the field managers of the GitOps controllers.
	GitOpsManagers []string `json:"gitopsManagers"`
	// HumanManagers are field managers counted as people's tools besides kubectl*.
	HumanManagers []string `json:"humanManagers"`
	// Ignore lists paths never counted as drift on the objects each rule selects.
	Ignore []IgnoreRule `json:"ignore"`
	// WorkDir holds the Git clones of the audit loop.
	WorkDir string `json:"workDir"`
	// Resync is how often every live object is re-listed, at most 10m.
	Resync metav1.Duration `json:"resync"`
	// Discover says which GitOps objects the audit keeps a GitSource for by itself.
	Discover Discover `json:"discover"`
}

// Discover turns the discovery of sources from GitOps objects on or off, per kind.
type Discover struct {
	// FluxKustomizations: a GitSource with a sourceRef for every Flux Kustomization.
	FluxKustomizations bool `json:"fluxKustomizations"`
	// FluxHelmReleases: a GitSource with a sourceRef for every Flux HelmRelease, its chart
	// rendered with the Helm SDK.
	FluxHelmReleases bool `json:"fluxHelmReleases"`
	// ArgoCDApplications: a GitSource with a sourceRef for every Argo CD Application, its
	// sources rendered as Argo CD's repo server renders them.
	ArgoCDApplications bool `json:"argocdApplications"`
}

// IgnoreRule skips paths on the objects it selects; an empty selector field matches any value.
type IgnoreRule struct {
	Group     string   `json:"group"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Paths     []string `json:"paths"`
	// Managers are field managers whose fields on the live object are never drift (what they
	// own whole), as an Argo CD Application's ignoreDifferences.managedFieldsManagers says.
	Managers []string `json:"managers,omitempty"`
}

// EvaluationTimeout is the policy deadline.
func (c *Config) EvaluationTimeout() time.Duration { return c.Policy.Timeout.Duration }

// GitOpsIdentities returns the GitOps user names, the Flux tenant service accounts included.
func (c *Config) GitOpsIdentities() []string {
	return append(append([]string(nil), c.Identities.GitOps...), c.fluxTenantUserNames()...)
}

// fluxTenantUserNames are the user names of the Flux tenant service accounts ("namespace/name").
func (c *Config) fluxTenantUserNames() []string {
	out := make([]string, 0, len(c.Identities.FluxTenantServiceAccounts))
	for _, sa := range c.Identities.FluxTenantServiceAccounts {
		ns, name, _ := strings.Cut(sa, "/")
		out = append(out, "system:serviceaccount:"+ns+":"+name)
	}
	return out
}

// CredentialIDKey is the userInfo.extra key in which the API server names the credential a
// request was authenticated with ("JTI=..." for a service-account token, "X509SHA256=..." for a
// client certificate). Impersonation without the right to impersonate that extra cannot set it.
const CredentialIDKey = "authentication.kubernetes.io/credential-id"

// IdentitiesWithoutCredential are the user names accepted as the always-allowed identity they name
// without a credential id: identities.withoutCredential and the Flux tenant service accounts,
// which Flux impersonates.
func (c *Config) IdentitiesWithoutCredential() []string {
	return append(append([]string(nil), c.Identities.WithoutCredential...), c.fluxTenantUserNames()...)
}

// IdentityNamespaces are the namespaces of the service accounts among the always-allowed
// identities (GitOps, Flux tenants, driftgate, system names), in order, without repeats.
func (c *Config) IdentityNamespaces() []string {
	names := append(append(c.GitOpsIdentities(), c.SelfIdentity()), c.Identities.System...)
	var out []string
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, "system:serviceaccount:")
		ns, _, _ := strings.Cut(rest, ":")
		if ok && ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// SelfIdentity is driftgate's own user name.
func (c *Config) SelfIdentity() string {
	if c.Identities.Self != "" {
		return c.Identities.Self
	}
	return "system:serviceaccount:" + c.Webhook.Namespace + ":driftgate"
}

// ExemptNamespaceNames are the namespaces never intercepted: driftgate's own, kube-system, and
// the configured ones. The webhook registration excludes them and the handler allows them.
func (c *Config) ExemptNamespaceNames() []string {
	return append([]string{c.Webhook.Namespace, "kube-system"}, c.ExemptNamespaces...)
}

// Exempt reports whether writes in namespace ns are never intercepted.
func (c *Config) Exempt(ns string) bool {
	return slices.Contains(c.ExemptNamespaceNames(), ns)
}
