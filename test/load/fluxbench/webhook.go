package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// How the webhook is switched off, and why this way: driftgate's Registrar (webhook/registrar.go)
// recreates its ValidatingWebhookConfiguration as soon as it is deleted and puts back any change
// to its webhooks (selectors, match conditions included), so neither deleting it nor making it
// match nothing holds. fluxbench takes create/update/patch of webhook configurations away from
// driftgate's ClusterRole (the Registrar's attempts then fail with Forbidden and back off), deletes
// the configuration, and waits until the API server no longer calls driftgate. To switch it back
// on, it re-creates the configuration from the object it saved, gives the verbs back, and waits
// until the API server calls driftgate again. driftgate serve keeps running throughout (its audit
// and grant controller too): "off" is driftgate installed but its webhook not registered.

const (
	webhookConfiguration = "driftgate" // devcluster's (and the chart's) configuration name
	probeNamespace       = "demo"      // devcluster's namespace for trying writes
	probeUser            = "carol"     // on call (may edit), no grant: driftgate denies her
)

var registrarVerbs = []string{"create", "update", "patch"}

// saveWebhook keeps the registered configuration, without server-set metadata.
func (b *bench) saveWebhook(ctx context.Context) error {
	wc, err := b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, webhookConfiguration, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading the webhook configuration %s: %w", webhookConfiguration, err)
	}
	clean := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: wc.Name, Labels: wc.Labels, Annotations: wc.Annotations},
		Webhooks:   wc.Webhooks,
	}
	b.savedWC, err = json.Marshal(clean)
	return err
}

// setWebhook switches driftgate's webhook registration on or off and waits until the API server
// acts on it.
func (b *bench) setWebhook(ctx context.Context, on bool) error {
	wcs := b.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if on {
		var wc admissionregistrationv1.ValidatingWebhookConfiguration
		if err := json.Unmarshal(b.savedWC, &wc); err != nil {
			return err
		}
		if _, err := wcs.Create(ctx, &wc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("re-creating the webhook configuration: %w", err)
		}
		if err := b.setRegistrarVerbs(ctx, true); err != nil {
			return err
		}
		return b.waitWebhook(ctx, true)
	}
	if err := b.setRegistrarVerbs(ctx, false); err != nil {
		return err
	}
	if err := b.waitRegistrarAllowed(ctx, false); err != nil {
		return err
	}
	if err := wcs.Delete(ctx, webhookConfiguration, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the webhook configuration: %w", err)
	}
	return b.waitWebhook(ctx, false)
}

// setRegistrarVerbs gives driftgate's ClusterRole the Registrar's write verbs on webhook
// configurations back (the role's rules as first read), or takes them away, dropping a rule left
// with no verb (the role grants update and patch in a rule of their own, by name).
func (b *bench) setRegistrarVerbs(ctx context.Context, allow bool) error {
	roles := b.cs.RbacV1().ClusterRoles()
	role, err := roles.Get(ctx, b.o.role, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading ClusterRole %s: %w", b.o.role, err)
	}
	if b.savedRules == nil {
		for _, r := range role.Rules {
			b.savedRules = append(b.savedRules, *r.DeepCopy())
		}
	}
	if allow {
		role.Rules = nil
		for _, r := range b.savedRules {
			role.Rules = append(role.Rules, *r.DeepCopy())
		}
	} else {
		found := false
		var kept []rbacv1.PolicyRule
		for _, r := range role.Rules {
			if slices.Contains(r.APIGroups, "admissionregistration.k8s.io") && slices.Contains(r.Resources, "validatingwebhookconfigurations") {
				found = true
				r.Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return slices.Contains(registrarVerbs, v) })
				if len(r.Verbs) == 0 {
					continue
				}
			}
			kept = append(kept, r)
		}
		if !found {
			return fmt.Errorf("ClusterRole %s has no rule for validatingwebhookconfigurations", b.o.role)
		}
		role.Rules = kept
	}
	if _, err := roles.Update(ctx, role, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("updating ClusterRole %s: %w", b.o.role, err)
	}
	return nil
}

// driftgateUser is the identity driftgate serve runs as (the subject of the binding of its role).
func (b *bench) driftgateUser(ctx context.Context) (string, error) {
	list, err := b.cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, crb := range list.Items {
		if crb.RoleRef.Kind != "ClusterRole" || crb.RoleRef.Name != b.o.role {
			continue
		}
		for _, s := range crb.Subjects {
			if s.Kind == rbacv1.ServiceAccountKind {
				return "system:serviceaccount:" + s.Namespace + ":" + s.Name, nil
			}
		}
	}
	return "", fmt.Errorf("no service account is bound to ClusterRole %s", b.o.role)
}

// waitRegistrarAllowed waits until the authorizer says driftgate may (or may not) create webhook
// configurations.
func (b *bench) waitRegistrarAllowed(ctx context.Context, want bool) error {
	user, err := b.driftgateUser(ctx)
	if err != nil {
		return err
	}
	ns, _, _ := strings.Cut(strings.TrimPrefix(user, "system:serviceaccount:"), ":")
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Verb: "create",
		},
	}}
	return b.waitFor(ctx, fmt.Sprintf("%s may create webhook configurations: %t", user, want), func(ctx context.Context) (bool, string) {
		r, err := b.cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			return false, err.Error()
		}
		return r.Status.Allowed == want, fmt.Sprintf("allowed %t", r.Status.Allowed)
	})
}

// waitWebhook waits until the API server calls driftgate (on) or not (off): a server-side dry
// run of carol creating a Flux-labelled ConfigMap is denied by driftgate only while it is called.
// Dry runs leave nothing; driftgate counts them as a person's denied requests.
func (b *bench) waitWebhook(ctx context.Context, on bool) error {
	cfg := rest.CopyConfig(b.admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: probeUser, Groups: []string{"oncall", "system:authenticated"}}
	person, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: probeNamespace, Name: "fluxbench-probe",
		Labels: map[string]string{"kustomize.toolkit.fluxcd.io/name": "fluxbench", "kustomize.toolkit.fluxcd.io/namespace": fluxNamespace}}}
	denied := fmt.Sprintf("admission webhook %q denied the request", webhookName)
	return b.waitFor(ctx, fmt.Sprintf("the API server calls driftgate's webhook: %t", on), func(ctx context.Context) (bool, string) {
		_, err := person.CoreV1().ConfigMaps(probeNamespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		called := err != nil && strings.Contains(err.Error(), denied)
		if !on && err != nil && !called {
			return false, "unexpected answer: " + err.Error()
		}
		return called == on, fmt.Sprintf("answer: %v", err)
	})
}

// restoreWebhook puts the registration and the role back, whatever state a failed run left.
func (b *bench) restoreWebhook(ctx context.Context) {
	if b.savedWC == nil {
		return
	}
	if err := b.setWebhook(ctx, true); err != nil {
		fmt.Fprintln(b.out, "restoring driftgate's webhook registration: "+err.Error())
	}
}
