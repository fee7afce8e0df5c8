package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/api/v1alpha1"
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

// TestRequestsWithoutTheObjectsNamespaceOrName: a Namespace is cluster-scoped, so a grant whose
// namespaced scope names it (resource namespaces, namespace fluxns) does not let its holder
// relabel it; a deletecollection is decided per object without the object's name in the
// request, and the denial names the object.
func TestRequestsWithoutTheObjectsNamespaceOrName(t *testing.T) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	grant := v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "inc-1-alice"},
		Spec: v1alpha1.BreakGlassGrantSpec{Requester: "alice", Ticket: "INC-1",
			Scope: v1alpha1.GrantScope{Namespaces: []string{"fluxns", "demo"}, Resources: []string{"namespaces", "configmaps"}}},
		Status: v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantActive, ExpiresAt: &metav1.Time{Time: now.Add(time.Hour)}},
	}
	d := webhook.Offline(engine, cfg, clientgoscheme.Scheme, []v1alpha1.BreakGlassGrant{grant}, config.ModeEnforce, nil, now)
	owned := map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps"}
	tests := []struct {
		name       string
		request    admissionv1.AdmissionRequest
		old, new   map[string]any
		wantReason string
	}{
		{
			name: "relabelling an owned Namespace under a grant naming it",
			request: admissionv1.AdmissionRequest{UID: "u1", Operation: admissionv1.Update, Namespace: "fluxns", Name: "fluxns",
				Kind:     metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"},
				Resource: metav1.GroupVersionResource{Version: "v1", Resource: "namespaces"}},
			old:        object("v1", "Namespace", "", "fluxns", owned),
			new:        object("v1", "Namespace", "", "fluxns", map[string]string{"kustomize.toolkit.fluxcd.io/name": "apps", "pod-security.kubernetes.io/enforce": "privileged"}),
			wantReason: "Namespace fluxns is owned by Flux Kustomization apps; alice is not a GitOps identity and holds no active break-glass grant for namespaces in the cluster scope",
		},
		{
			name: "deletecollection without a grant for the object's resource",
			request: admissionv1.AdmissionRequest{UID: "u2", Operation: admissionv1.Delete, Namespace: "demo",
				Kind:     metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
				Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
			old:        object("apps/v1", "Deployment", "demo", "web", owned),
			wantReason: "Deployment demo/web is owned by Flux Kustomization apps; alice is not a GitOps identity",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ar := tt.request
			ar.UserInfo = authenticationv1.UserInfo{Username: "alice", Groups: []string{"system:authenticated"}}
			if tt.new != nil {
				ar.Object = runtime.RawExtension{Raw: mustJSON(t, tt.new)}
			}
			ar.OldObject = runtime.RawExtension{Raw: mustJSON(t, tt.old)}
			req, err := webhook.RequestFrom(&ar)
			if err != nil {
				t.Fatal(err)
			}
			res := d.Decide(context.Background(), req)
			if res.Allowed || !strings.HasPrefix(res.Reason, tt.wantReason) {
				t.Errorf("allowed %v, reason %q; want denied, reason starting %q", res.Allowed, res.Reason, tt.wantReason)
			}
		})
	}
}

func object(apiVersion, kind, ns, name string, labels map[string]string) map[string]any {
	l := map[string]any{}
	for k, v := range labels {
		l[k] = v
	}
	md := map[string]any{"name": name, "labels": l}
	if ns != "" {
		md["namespace"] = ns
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
}
