package webhook_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

func TestNewEditMasksSecretsAndBoundsValues(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name      string
		kind      string
		resource  string
		changes   []fieldpath.Change
		want      []string
		truncated bool
	}{
		{"configmap values kept", "ConfigMap", "configmaps",
			[]fieldpath.Change{{Path: "data.LOG_LEVEL", Old: "info", New: "debug"}, {Path: "data.NEW", New: "1"}},
			[]string{`data.LOG_LEVEL "info" "debug"`, `data.NEW <nil> "1"`}, false},
		{"secret values masked", "Secret", "secrets",
			[]fieldpath.Change{
				{Path: "data.password", Old: "czNjcjN0", New: "bjN3"},
				{Path: `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, New: `{"data":{"password":"bjN3"}}`},
				{Path: `metadata.labels["team"]`, Old: "a", New: "b"},
			},
			[]string{`data.password "(sensitive)" "(sensitive)"`,
				`metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] <nil> "(sensitive)"`,
				`metadata.labels["team"] "a" "b"`}, false},
		{"long values cut", "ConfigMap", "configmaps",
			[]fieldpath.Change{{Path: "data.BIG", Old: "a", New: long}},
			[]string{`data.BIG "a" "(5002 bytes, not recorded)"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &webhook.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "0F9A-uid", Operation: admissionv1.Update, Namespace: "prod", Name: "x",
				Kind:     metav1.GroupVersionKind{Version: "v1", Kind: tt.kind},
				Resource: metav1.GroupVersionResource{Version: "v1", Resource: tt.resource},
				UserInfo: authUser("alice"),
			}}
			res := &webhook.Result{Decision: policies.Decision{Allowed: true, Grant: "inc-1-alice", Ticket: "INC 1"}, Changes: tt.changes}
			e := webhook.NewEdit(req, res, metav1.Now())
			var got []string
			for _, c := range e.Spec.Changes {
				got = append(got, c.Path+" "+raw(c.Old)+" "+raw(c.New))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if e.Spec.ChangesTruncated != tt.truncated {
				t.Errorf("truncated = %v, want %v", e.Spec.ChangesTruncated, tt.truncated)
			}
			if e.Name != "inc-1-alice-0f9a-uid" {
				t.Errorf("name = %q", e.Name)
			}
			if _, ok := e.Labels["driftgate.io/ticket"]; ok {
				t.Errorf("ticket %q is not a label value but was set as one", "INC 1")
			}
		})
	}
}

func authUser(name string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: name}
}

func raw(j *apiextensionsv1.JSON) string {
	if j == nil {
		return "<nil>"
	}
	return string(j.Raw)
}

// TestNewEditOfScale: a /scale write is recorded on its parent, so the audit finds the object
// (there is no kind Scale to look up) and the path spec.replicas on it.
func TestNewEditOfScale(t *testing.T) {
	tests := []struct {
		name       string
		parentKind string // what the decision found; "Scale" when the parent could not be read
		want       v1alpha1.ObjectReference
	}{
		{"parent found", "Deployment", v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment",
			Resource: "deployments.apps", Subresource: "scale", Namespace: "prod", Name: "web", UID: "u-1"}},
		{"parent unreadable", "Scale", v1alpha1.ObjectReference{APIVersion: "autoscaling/v1", Kind: "Scale",
			Resource: "deployments.apps", Subresource: "scale", Namespace: "prod", Name: "web", UID: "u-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &webhook.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "r-1", Operation: admissionv1.Update, Namespace: "prod", Name: "web", SubResource: "scale",
				Kind:     metav1.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"},
				Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
				UserInfo: authUser("alice"),
			}, Object: map[string]any{"metadata": map[string]any{"name": "web", "uid": "u-1"}}}
			res := &webhook.Result{
				Decision: policies.Decision{Allowed: true, Grant: "g", Ticket: "INC-1"},
				Input:    &policies.Input{Kind: tt.parentKind},
				Changes:  []fieldpath.Change{{Path: "spec.replicas", Old: int64(2), New: int64(5)}},
			}
			e := webhook.NewEdit(req, res, metav1.Now())
			if diff := cmp.Diff(tt.want, e.Spec.Object); diff != "" {
				t.Errorf("object (-want +got):\n%s", diff)
			}
			if len(e.Spec.Changes) != 1 || e.Spec.Changes[0].Path != "spec.replicas" {
				t.Errorf("changes = %+v, want spec.replicas", e.Spec.Changes)
			}
		})
	}
}
