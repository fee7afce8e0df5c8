package chart_test

import (
	"context"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// TestApplyDryRun: every rendered object is accepted by a real API server, through the same
// path `kubectl apply --server-side --dry-run=server` takes: schema validation (strict: unknown
// fields fail), defaulting and admission, nothing stored. The release namespace exists for real.
func TestApplyDryRun(t *testing.T) {
	dyn, mapper := clients(t)
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			ns := freshNamespace(t, "apply-"+vs.name)
			for _, obj := range render(t, vs, ns) {
				t.Run(obj.GetKind()+"/"+obj.GetName(), func(t *testing.T) {
					applyDryRun(t, dyn, mapper, obj)
				})
			}
		})
	}
}

func applyDryRun(t *testing.T, dyn dynamic.Interface, mapper meta.RESTMapper, obj *unstructured.Unstructured) {
	t.Helper()
	gvk := obj.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("the API server does not serve %s: %v", gvk, err)
	}
	var res dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			t.Fatalf("namespaced %s %s has no namespace", gvk.Kind, obj.GetName())
		}
		res = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		t.Fatal(err)
	}
	_, err = res.Patch(context.Background(), obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun: []string{metav1.DryRunAll}, FieldManager: "driftgate-chart-test", Force: ptr.To(true),
		FieldValidation: metav1.FieldValidationStrict,
	})
	if err != nil {
		t.Errorf("server-side apply (dry run) of %s %s: %v", gvk.Kind, obj.GetName(), err)
	}
}

// clients are a dynamic client and a RESTMapper that discovers kinds as it meets them.
func clients(t *testing.T) (dynamic.Interface, meta.RESTMapper) {
	t.Helper()
	hc, err := rest.HTTPClientFor(apiCfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfigAndClient(apiCfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	mapper, err := apiutil.NewDynamicRESTMapper(apiCfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	return dyn, mapper
}

// freshNamespace creates a namespace of its own for the test, deleted when it ends.
func freshNamespace(t *testing.T, prefix string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(apiCfg)
	if err != nil {
		t.Fatal(err)
	}
	name := "chart-" + prefix + "-" + rand.String(5)
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}) })
	return name
}
