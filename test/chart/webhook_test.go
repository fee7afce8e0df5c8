package chart_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/driftgate/driftgate/webhook"
)

// TestWebhookConfigurationMatchesGo: the registration the chart installs is the one driftgate
// makes from the same driftgate.yaml (webhook.Configuration), which its Registrar would put back
// anyway; so the chart's template (generated) and the values it reads agree with the Go code.
// caBundle (filled at run time) and metadata annotations are left out.
func TestWebhookConfigurationMatchesGo(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			objs := render(t, vs, goldenNamespace)
			cfg := loadConfig(t, objs, vs)
			want := webhook.Configuration(cfg, nil)
			var got admissionregistrationv1.ValidatingWebhookConfiguration
			typed(t, objs, "ValidatingWebhookConfiguration", want.Name, &got)
			ignoreCA := cmpopts.IgnoreFields(admissionregistrationv1.WebhookClientConfig{}, "CABundle")
			if diff := cmp.Diff(want.Webhooks, got.Webhooks, ignoreCA); diff != "" {
				t.Errorf("rendered webhooks differ from webhook.Configuration of the rendered driftgate.yaml (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWebhookCAInjection: with cert-manager, cainjector is told where the CA is (the serving
// Certificate); otherwise there is no such annotation (driftgate or you fill caBundle).
func TestWebhookCAInjection(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			vwc := find(render(t, vs, goldenNamespace), "ValidatingWebhookConfiguration", vs.fullname)
			if vwc == nil {
				t.Fatalf("no ValidatingWebhookConfiguration %s", vs.fullname)
			}
			want := ""
			if vs.certManager {
				want = goldenNamespace + "/" + vs.fullname + "-webhook"
			}
			if got := vwc.GetAnnotations()["cert-manager.io/inject-ca-from"]; got != want {
				t.Errorf("cert-manager.io/inject-ca-from = %q, want %q", got, want)
			}
		})
	}
}
