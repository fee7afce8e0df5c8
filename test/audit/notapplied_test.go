package audit_test

import (
	"context"
	"encoding/json"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/testutil"
)

// TestRecordOfAWriteThatNeverLandedIsNotApplied: a review no API server sent (here posted
// straight to the webhook's port, which this suite does not protect with --client-ca) makes a
// record of a write that never happened. The audit sees the object still at the version that
// write would have replaced and marks the record NotApplied, not Reverted: nothing to backport,
// nothing undone.
func TestRecordOfAWriteThatNeverLandedIsNotApplied(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, map[string]string{config.ModeLabel: string(config.ModeWarn)})
	syncedDeployment(t, ns, "web", "shop/web:v1", "128Mi")

	live := &appsv1.Deployment{}
	if err := cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, live); err != nil {
		t.Fatal(err)
	}
	live.APIVersion, live.Kind = "apps/v1", "Deployment"
	changed := live.DeepCopy()
	changed.Spec.Template.Spec.Containers[0].Image = "shop/web:forged"
	uid := types.UID("forged-" + ns)
	body, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: uid, Operation: admissionv1.Update, Namespace: ns, Name: "web",
			Kind:     metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			Resource: metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
			UserInfo: authUser("carol"),
			Object:   raw(t, changed), OldObject: raw(t, live),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cluster.PostReview(body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var rec v1alpha1.BreakGlassEdit
	testutil.WaitFor(t, "the record of the made-up review", func() bool {
		var list v1alpha1.BreakGlassEditList
		if err := cluster.AdminActor(t).Client.List(ctx, &list); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Spec.RequestUID == string(uid) {
				rec = e
				return true
			}
		}
		return false
	})
	if rec.Spec.Object.ResourceVersion != live.ResourceVersion {
		t.Errorf("record's object resourceVersion %q, want the replaced version %q", rec.Spec.Object.ResourceVersion, live.ResourceVersion)
	}
	got := waitBackport(t, rec.Name, v1alpha1.NotApplied)
	if got.Status.ResolvedAt == nil {
		t.Error("a NotApplied record has no resolution time")
	}
}

func raw(t *testing.T, obj any) runtime.RawExtension {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: b}
}

func authUser(name string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: name, Groups: []string{"system:authenticated"}}
}
