package loop

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
)

// TestSkippedObjectIsNotDecided: an edit of an object Git marks driftgate.io/skip is not
// decided (Git's value there proves nothing: the audit does not look at the object); it stays
// Required with BackportTracked False, SkippedInGit. Without the mark the same edit is decided.
func TestSkippedObjectIsNotDecided(t *testing.T) {
	tests := []struct {
		name          string
		skip          bool
		wantState     v1alpha1.BackportState
		wantCondition string
	}{
		{name: "skipped in Git", skip: true, wantState: v1alpha1.BackportRequired, wantCondition: "False/" + ReasonSkippedInGit},
		{name: "not skipped", skip: false, wantState: v1alpha1.Backported, wantCondition: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit := &v1alpha1.BreakGlassEdit{
				ObjectMeta: metav1.ObjectMeta{Name: "edit-1", Generation: 1},
				Spec: v1alpha1.BreakGlassEditSpec{User: "alice", Time: metav1.NewTime(t0.Add(-time.Minute)), Operation: "UPDATE",
					Object: v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: "prod", Name: "web"},
					Changes: []v1alpha1.FieldChange{{Path: "spec.template.spec.containers[name=app].image",
						Old: &apiextensionsv1.JSON{Raw: []byte(`"shop/web:v1"`)}, New: &apiextensionsv1.JSON{Raw: []byte(`"shop/web:v2"`)}}}},
				// Seen before, Required: not a write that restored Git's values at first sight.
				Status: v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired, ObservedGeneration: 1},
			}
			e := newEnv(t, interceptor.Funcs{}, edit, gitSourceObject(v1alpha1.GitSourceSpec{}))
			// Git and live both hold v2: without the mark, Git holds the edit's value.
			git := deploymentObject("web.yaml (document 1)", "shop/web:v2")
			if tt.skip {
				git.Content["metadata"].(map[string]any)["annotations"] = map[string]any{audit.SkipAnnotation: "true"}
			}
			e.fetcher.snap.Objects = []audit.Object{git}
			e.r.Live = fakeLive{webKey: deploymentObject("live", "shop/web:v2")}
			if _, err := e.reconcile(t); err != nil {
				t.Fatal(err)
			}
			var got v1alpha1.BreakGlassEdit
			if err := e.c.Get(context.Background(), client.ObjectKey{Name: "edit-1"}, &got); err != nil {
				t.Fatal(err)
			}
			cond := ""
			if c := apimeta.FindStatusCondition(got.Status.Conditions, ConditionBackportTracked); c != nil {
				cond = string(c.Status) + "/" + c.Reason
			}
			type state struct {
				Backport  v1alpha1.BackportState
				Condition string
				GitSource string
			}
			want := state{tt.wantState, tt.wantCondition, "fleet"}
			if diff := cmp.Diff(want, state{got.Status.Backport, cond, got.Status.GitSource}); diff != "" {
				t.Errorf("edit status (-want +got):\n%s", diff)
			}
		})
	}
}
