package webhook_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/test/loadgen"
	"github.com/driftgate/driftgate/webhook"
)

// TestDecisionFixtures runs the shipped decision fixtures (AdmissionReview in, decision out)
// through the same decider the webhook uses.
func TestDecisionFixtures(t *testing.T) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	results, err := webhook.RunFixtures(context.Background(), policies.Fixtures, "fixtures", engine, cfg, clientgoscheme.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 7 {
		t.Fatalf("ran %d fixtures, expected the shipped set (at least 7)", len(results))
	}
	for _, r := range results {
		if r.Problem != "" {
			t.Errorf("%s: %s", r.Name, r.Problem)
		}
	}
}

// TestChangedPathsLeaveOutBookkeeping checks the paths an UPDATE hands the policy: status and the
// metadata the API server keeps are no writer's change; kubectl's last-applied-configuration is.
func TestChangedPathsLeaveOutBookkeeping(t *testing.T) {
	tests := []struct {
		name string
		edit func(obj map[string]any)
		want []string
	}{
		{"status", func(o map[string]any) { o["status"].(map[string]any)["readyReplicas"] = 1 }, nil},
		{"server-kept metadata", func(o map[string]any) {
			md := o["metadata"].(map[string]any)
			md["resourceVersion"], md["generation"], md["managedFields"] = "123457", 43, []any{}
		}, nil},
		{"last-applied configuration", func(o map[string]any) {
			o["metadata"].(map[string]any)["annotations"].(map[string]any)["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
		}, []string{`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`}},
		{"spec and status", func(o map[string]any) {
			o["spec"].(map[string]any)["replicas"] = 5
			o["status"].(map[string]any)["replicas"] = 5
		}, []string{"spec.replicas"}},
	}
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := webhook.Offline(engine, cfg, clientgoscheme.Scheme, nil, config.ModeEnforce, nil, time.Now())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := loadgen.Deployment(3, "registry.example.com/checkout:v1")
			new := loadgen.Deployment(3, "registry.example.com/checkout:v1")
			tt.edit(new)
			req, err := webhook.RequestFrom(&admissionv1.AdmissionRequest{
				UID: "u", Operation: admissionv1.Update, Namespace: "prod", Name: "checkout",
				Kind:     metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
				Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
				UserInfo: authenticationv1.UserInfo{Username: "alice"},
				Object:   runtime.RawExtension{Raw: mustJSON(t, new)}, OldObject: runtime.RawExtension{Raw: mustJSON(t, old)},
			})
			if err != nil {
				t.Fatal(err)
			}
			res := d.Decide(context.Background(), req)
			if res.Input == nil {
				t.Fatalf("no input: %s", res.Reason)
			}
			if diff := cmp.Diff(tt.want, res.Input.ChangedPaths, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("changed paths (-want +got):\n%s", diff)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
