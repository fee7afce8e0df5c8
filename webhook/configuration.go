package webhook

import (
	"encoding/json"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// WebhookName is the name of driftgate's webhook inside its configuration.
const WebhookName = "validate.driftgate.io"

// Configuration is the ValidatingWebhookConfiguration that sends writes to driftgate. The chart
// ships the same object (generated from it by `make generate`; `make test` fails when stale) and
// driftgate keeps it in place (Registrar). Exempt namespaces are excluded by selector; leases,
// events and the non-persisted review APIs by match conditions; and only writes driftgate can
// refuse are sent at all (OwnedCondition), so while driftgate is down with failurePolicy Fail
// nothing but GitOps-owned objects is blocked.
func Configuration(cfg *config.Config, caBundle []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	failure := admissionregistrationv1.FailurePolicyType(cfg.Webhook.FailurePolicy)
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: cfg.Webhook.ConfigurationName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         WebhookName,
			ClientConfig: clientConfig(cfg.Webhook, caBundle),
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{
					admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete,
				},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{"*"},
					APIVersions: []string{"*"},
					// A status write carries the object's metadata, so it can change markers,
					// pause switches and the mode label: it is decided like any write, on what it
					// changes outside .status. driftgate's own statuses only driftgate writes.
					Resources: []string{"*", "*/scale", "*/status"},
					Scope:     ptr.To(admissionregistrationv1.AllScopes),
				},
			}},
			// The empty selector is what the API server defaults, written out so that the
			// Registrar's comparison with the live object holds.
			ObjectSelector: &metav1.LabelSelector{},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: cfg.ExemptNamespaceNames(),
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{
				{Name: "not-leases", Expression: `!(request.resource.group == "coordination.k8s.io" && request.resource.resource == "leases")`},
				{Name: "not-events", Expression: `!(request.resource.group in ["", "events.k8s.io"] && request.resource.resource == "events")`},
				{Name: "not-reviews", Expression: `!(request.resource.group in ["authentication.k8s.io", "authorization.k8s.io"])`},
				// driftgate writing its own records during admission would call itself, and its
				// status writes (grants, records, GitSources) need no review; nobody else's writes
				// to its resources are skipped: the rules check them.
				{Name: "not-own-writes", Expression: fmt.Sprintf(
					`!(request.resource.group == %q && request.userInfo.username == %q && %s)`,
					v1alpha1.GroupVersion.Group, cfg.SelfIdentity(), credentialedExpression(jsonList(cfg.IdentitiesWithoutCredential())))},
				OwnedCondition(cfg),
				NotSystemCondition(cfg),
			},
			FailurePolicy:           &failure,
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To(cfg.Webhook.TimeoutSeconds),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
		}},
	}
}

// clientConfig points the API server at the Service, or at the URL when one is configured.
func clientConfig(w config.Webhook, caBundle []byte) admissionregistrationv1.WebhookClientConfig {
	if w.URL != "" {
		return admissionregistrationv1.WebhookClientConfig{URL: ptr.To(w.URL), CABundle: caBundle}
	}
	return admissionregistrationv1.WebhookClientConfig{
		Service: &admissionregistrationv1.ServiceReference{
			Namespace: w.Namespace,
			Name:      w.ServiceName,
			Path:      ptr.To(Path),
			Port:      ptr.To[int32](443),
		},
		CABundle: caBundle,
	}
}

// OwnedConditionName names the match condition that sends only what driftgate can refuse.
const OwnedConditionName = "gitops-owned"

// OwnedCondition sends a write to driftgate only when driftgate could refuse it: the object (new
// or old) carries an ownership marker; a Namespace carries driftgate's mode label; a /scale
// request (the Scale object carries no labels, so its parent is looked up by the webhook); or a
// driftgate resource (grants and records). Marker keys go in as JSON lists, which are CEL lists;
// the chart's template builds the same text from its values (see hack/genchart).
func OwnedCondition(cfg *config.Config) admissionregistrationv1.MatchCondition {
	labels := append(append([]string{}, cfg.Markers.Labels...), argoLabel(cfg.Markers)...)
	return admissionregistrationv1.MatchCondition{Name: OwnedConditionName, Expression: ownedExpression(
		jsonList(labels), jsonList(cfg.Markers.Annotations))}
}

// ownedExpression is the CEL text of OwnedCondition for marker lists already written as CEL.
func ownedExpression(labels, annotations string) string {
	return fmt.Sprintf(`(has(request.subResource) && request.subResource == "scale") || request.resource.group == %q || `+
		`[object, oldObject].exists(o, o != null && has(o.metadata) && (`+
		`(has(o.metadata.labels) && (%s.exists(k, k in o.metadata.labels) || `+
		`(request.resource.group == "" && request.resource.resource == "namespaces" && %q in o.metadata.labels))) || `+
		`(has(o.metadata.annotations) && %s.exists(k, k in o.metadata.annotations))))`,
		v1alpha1.GroupVersion.Group, labels, config.ModeLabel, annotations)
}

// NotSystemConditionName names the match condition that leaves system controllers out.
const NotSystemConditionName = "not-system-controllers"

// NotSystemCondition leaves out the writes of system controllers (identities.system,
// systemPrefixes, systemGroups) made with their own credential (credentialedExpression), which
// the policy always allows and never records; a person impersonating a system name is sent. The
// endpoint controllers copy a Service's labels, ownership markers included, onto its
// EndpointSlices, and the ReplicaSet controller a template's onto its Pods, so without it a
// driftgate outage under failurePolicy Fail would stop Services and workloads from updating.
func NotSystemCondition(cfg *config.Config) admissionregistrationv1.MatchCondition {
	id := cfg.Identities
	return admissionregistrationv1.MatchCondition{Name: NotSystemConditionName, Expression: notSystemExpression(
		jsonList(id.System), jsonList(id.SystemPrefixes), jsonList(id.SystemGroups), jsonList(cfg.IdentitiesWithoutCredential()))}
}

// notSystemExpression is the CEL text of NotSystemCondition for lists already written as CEL.
func notSystemExpression(users, prefixes, groups, withoutCredential string) string {
	return fmt.Sprintf(`!((request.userInfo.username in %s || %s.exists(p, request.userInfo.username.startsWith(p)) || `+
		`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in %s))) && %s)`,
		users, prefixes, groups, credentialedExpression(withoutCredential))
}

// credentialedExpression is the CEL text of "the request was authenticated from the named
// identity's own credential": the API server names it in userInfo.extra (config.CredentialIDKey),
// which impersonation cannot set; or the name is one accepted without (a CEL list).
func credentialedExpression(withoutCredential string) string {
	return fmt.Sprintf(`((has(request.userInfo.extra) && %q in request.userInfo.extra) || request.userInfo.username in %s)`,
		config.CredentialIDKey, withoutCredential)
}

func argoLabel(m config.Markers) []string {
	if m.ArgoCDTrackingLabel == "" {
		return nil
	}
	return []string{m.ArgoCDTrackingLabel}
}

// jsonList writes keys as a JSON list, which is also a CEL list of strings.
func jsonList(keys []string) string {
	out, _ := json.Marshal(append([]string{}, keys...)) // strings always marshal
	return string(out)
}
