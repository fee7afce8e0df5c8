package protect

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// TestSkippedInGitIsNotHeld: an edit of an object Git marks driftgate.io/skip is never decided by
// the audit, so driftgate does not pause Flux for it (nothing would lift the pause): the switch
// is not set, or lifted when it was set before the audit saw the mark, the edit says why and
// carries no finalizer. Without the mark the same edit is held.
func TestSkippedInGitIsNotHeld(t *testing.T) {
	tests := []struct {
		name string
		skip bool
		// heldBefore: driftgate had set the switch for the edit before the audit marked it.
		heldBefore bool
		want       result
	}{
		{name: "not skipped: held", want: result{Switch: "disabled", Edits: "inc-1-alice", Reason: ReasonHeld, Status: "True", Finalizer: true}},
		{name: "skipped in Git: not held", skip: true, want: result{Reason: ReasonSkippedInGit, Status: "False"}},
		{name: "skipped in Git after it was held: lifted", skip: true, heldBefore: true, want: result{Reason: ReasonSkippedInGit, Status: "False"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cm := &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Labels: map[string]string{fluxMarker: "apps"}},
				Data:       map[string]string{"A": "2"}, // alice's write landed
			}
			e := &v1alpha1.BreakGlassEdit{
				ObjectMeta: metav1.ObjectMeta{Name: "inc-1-alice", Generation: 1},
				Spec: v1alpha1.BreakGlassEditSpec{Grant: "inc-1", Ticket: "INC-1", User: "alice", Operation: "UPDATE",
					Time:    metav1.NewTime(time.Now().Add(-time.Minute)),
					Object:  v1alpha1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Resource: "configmaps", Namespace: "shop", Name: "web"},
					Changes: []v1alpha1.FieldChange{{Path: "data.A", Old: &apiextensionsv1.JSON{Raw: []byte(`"1"`)}, New: &apiextensionsv1.JSON{Raw: []byte(`"2"`)}}}},
				Status: v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired},
			}
			if tt.skip {
				e.Status.Conditions = []metav1.Condition{{Type: v1alpha1.BackportTracked, Status: metav1.ConditionFalse, Reason: v1alpha1.SkippedInGit,
					Message: `Git marks the object driftgate.io/skip: "true"`, LastTransitionTime: metav1.Now()}}
			}
			if tt.heldBefore {
				cm.Annotations = map[string]string{FluxReconcile: "disabled", ProtectedEdits: e.Name, ProtectedTickets: "INC-1"}
				e.Finalizers = []string{Finalizer}
				e.Status.Conditions = append(e.Status.Conditions, metav1.Condition{Type: ConditionType, Status: metav1.ConditionTrue, Reason: ReasonHeld,
					Message: "driftgate set " + FluxReconcile, LastTransitionTime: metav1.Now()})
			}
			scheme := runtime.NewScheme()
			for _, add := range []func(*runtime.Scheme) error{v1alpha1.AddToScheme, corev1.AddToScheme} {
				if err := add(scheme); err != nil {
					t.Fatal(err)
				}
			}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cm, e).WithStatusSubresource(&v1alpha1.BreakGlassEdit{}).Build()
			p := &Protector{Client: c, Reader: c, Enabled: true}
			if _, err := p.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Name: e.Name}}); err != nil {
				t.Fatal(err)
			}
			var gotCM corev1.ConfigMap
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(cm), &gotCM); err != nil {
				t.Fatal(err)
			}
			var gotEdit v1alpha1.BreakGlassEdit
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(e), &gotEdit); err != nil {
				t.Fatal(err)
			}
			got := result{Switch: gotCM.Annotations[FluxReconcile], Edits: gotCM.Annotations[ProtectedEdits]}
			if cond := apimeta.FindStatusCondition(gotEdit.Status.Conditions, ConditionType); cond != nil {
				got.Reason, got.Status = cond.Reason, string(cond.Status)
			}
			for _, f := range gotEdit.Finalizers {
				got.Finalizer = got.Finalizer || f == Finalizer
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("protection (-want +got):\n%s", diff)
			}
		})
	}
}

// result is what the Protector left: the object's switch and the edits it names, the edit's
// SelfHealProtected condition and whether it carries the finalizer.
type result struct {
	Switch, Edits  string
	Reason, Status string
	Finalizer      bool
}
