package webhook

import (
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
// ships the same object (generated from it by `make generate`; `make test` fails when stale). Exempt namespaces are excluded by
// selector; leases, events and the non-persisted review APIs by match conditions.
func Configuration(cfg *config.Config, caBundle []byte) *admissionregistrationv1.ValidatingWebhookConfiguration {
	failure := admissionregistrationv1.FailurePolicyType(cfg.Webhook.FailurePolicy)
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: cfg.Webhook.ConfigurationName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: WebhookName,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{
				Service: &admissionregistrationv1.ServiceReference{
					Namespace: cfg.Webhook.Namespace,
					Name:      cfg.Webhook.ServiceName,
					Path:      ptr.To(Path),
					Port:      ptr.To[int32](443),
				},
				CABundle: caBundle,
			},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{
					admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete,
				},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{"*"},
					APIVersions: []string{"*"},
					Resources:   []string{"*", "*/scale"},
					Scope:       ptr.To(admissionregistrationv1.AllScopes),
				},
			}, {
				// Status is written only by driftgate; the rules enforce it on its own resources.
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{v1alpha1.GroupVersion.Group},
					APIVersions: []string{"*"},
					Resources:   []string{"breakglassgrants/status", "breakglassedits/status"},
					Scope:       ptr.To(admissionregistrationv1.ClusterScope),
				},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: cfg.ExemptNamespaceNames(),
			}}},
			MatchConditions: []admissionregistrationv1.MatchCondition{
				{Name: "not-leases", Expression: `!(request.resource.group == "coordination.k8s.io" && request.resource.resource == "leases")`},
				{Name: "not-events", Expression: `!(request.resource.group in ["", "events.k8s.io"] && request.resource.resource == "events")`},
				{Name: "not-reviews", Expression: `!(request.resource.group in ["authentication.k8s.io", "authorization.k8s.io"])`},
				// driftgate writing its own records during admission would call itself; no one
				// else may write them, which the webhook checks.
				{Name: "not-own-records", Expression: fmt.Sprintf(
					`!(request.resource.group == %q && request.resource.resource == "breakglassedits" && request.userInfo.username == %q)`,
					v1alpha1.GroupVersion.Group, cfg.SelfIdentity())},
			},
			FailurePolicy:           &failure,
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To(cfg.Webhook.TimeoutSeconds),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
		}},
	}
}
