package webhook_test

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/webhook"
)

// TestRegistrar decides what the Registrar writes; the real API server path (recreation after a
// delete, enforcement again) is test/failure's TestEmergencyExit.
func TestRegistrar(t *testing.T) {
	cfg := config.Default()
	service := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: cfg.Webhook.Namespace, Name: cfg.Webhook.ServiceName}}
	tampered := webhook.Configuration(cfg, []byte("old-ca"))
	tampered.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Ignore)
	for _, tc := range []struct {
		name    string
		objects []client.Object
		ca      []byte
		want    *admissionregistrationv1.ValidatingWebhookConfiguration // nil: none
	}{
		{"missing, recreated with the CA", []client.Object{service}, []byte("ca"), webhook.Configuration(cfg, []byte("ca"))},
		{"missing while the Service is gone (uninstall): left missing", nil, []byte("ca"), nil},
		{"changed: restored, with the known CA", []client.Object{service, tampered}, []byte("ca"), webhook.Configuration(cfg, []byte("ca"))},
		{"changed, CA unknown: restored, caBundle kept", []client.Object{service, tampered.DeepCopy()}, nil, webhook.Configuration(cfg, []byte("old-ca"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(tc.objects...).Build()
			r := &webhook.Registrar{Client: c, APIReader: c, Config: cfg, Log: logr.Discard(),
				CABundle: func(context.Context) ([]byte, error) { return tc.ca, nil }}
			if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: cfg.Webhook.ConfigurationName}}); err != nil {
				t.Fatal(err)
			}
			got := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			err := c.Get(context.Background(), client.ObjectKey{Name: cfg.Webhook.ConfigurationName}, got)
			if tc.want == nil {
				if !apierrors.IsNotFound(err) {
					t.Fatalf("registration exists (%v), want none", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want.Webhooks, got.Webhooks); diff != "" {
				t.Errorf("webhooks (-want +got):\n%s", diff)
			}
		})
	}
}
