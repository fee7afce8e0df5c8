package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/driftgate/driftgate/webhook"
)

// register creates the registration, unless driftgate already has, and waits until the API
// server calls driftgate: a person's dry-run creation of a GitOps-owned ConfigMap is refused by
// driftgate's webhook.
func register(ctx context.Context, admin *rest.Config, o *options, wc *admissionregistrationv1.ValidatingWebhookConfiguration) error {
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return fmt.Errorf("client for kube-apiserver: %w", err)
	}
	_, err = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, wc, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("registering the webhook: %w", err)
	}
	person, err := personClient(admin, people()[0])
	if err != nil {
		return err
	}
	return waitWebhookEffective(ctx, person, o.timeout)
}

func personClient(admin *rest.Config, who person) (kubernetes.Interface, error) {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: who.name, Groups: append([]string{"system:authenticated"}, who.groups...)}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", who.name, err)
	}
	return cs, nil
}

func waitWebhookEffective(ctx context.Context, person kubernetes.Interface, timeout time.Duration) error {
	probe := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
		Namespace: demoNamespace, Name: "devcluster-probe", Labels: map[string]string{"driftgate.io/owned-by": "devcluster"},
	}}
	denied := fmt.Sprintf("admission webhook %q denied the request", webhook.WebhookName)
	deadline := time.Now().Add(timeout)
	for {
		_, err := person.CoreV1().ConfigMaps(demoNamespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && strings.Contains(err.Error(), denied) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API server did not call driftgate's webhook within %s (last answer: %v)", seconds(timeout), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the webhook: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
