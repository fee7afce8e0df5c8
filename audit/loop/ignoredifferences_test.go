package loop

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/audit"
)

// TestIgnoreDifferences: an Application's ignoreDifferences become ignore rules on the rendered
// objects each entry selects, as Argo CD selects them (group and kind, name and namespace where
// set), with their JSON pointers and jq paths named as the audit names drift: a built-in list's
// items by merge key, a custom resource's by name or index.
func TestIgnoreDifferences(t *testing.T) {
	objs := []audit.Object{
		{Content: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "prod", "annotations": map[string]any{"example.com/note": "x"}},
			"spec": map[string]any{"replicas": 2.0, "template": map[string]any{"spec": map[string]any{"containers": []any{
				map[string]any{"name": "web", "image": "web:1", "ports": []any{map[string]any{"containerPort": 80.0}}},
				map[string]any{"name": "side", "image": "side:1"},
			}}}}}},
		{Content: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "api", "namespace": "prod"},
			"spec": map[string]any{"replicas": 1.0}}},
		{Content: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w", "namespace": "prod"},
			"spec": map[string]any{"items": []any{map[string]any{"a": 1.0}, map[string]any{"a": 2.0}}, "named": []any{map[string]any{"name": "n", "a": 1.0}}}}},
		{Content: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "web", "namespace": "prod"},
			"data": map[string]any{"a": "1", "b": "2"}}},
	}
	web := func(paths ...string) audit.IgnoreRule {
		return audit.IgnoreRule{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web", Paths: paths}
	}
	for _, tt := range []struct {
		name    string
		entries []any
		cm      map[string]string // argocd-cm's data
		want    []audit.IgnoreRule
		wantErr string
	}{{
		name:    "a pointer on every Deployment",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "jsonPointers": []any{"/spec/replicas"}}},
		want: []audit.IgnoreRule{web("spec.replicas"),
			{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Paths: []string{"spec.replicas"}}},
	}, {
		name: "list items by merge key, escaped keys",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "name": "web", "jsonPointers": []any{
			"/spec/template/spec/containers/1/image", "/spec/template/spec/containers/0/ports/0/protocol", "/metadata/annotations/example.com~1note",
			"/spec/template/spec/containers/5/image", "/spec/notThere/x"}}},
		want: []audit.IgnoreRule{web("spec.template.spec.containers[name=side].image",
			"spec.template.spec.containers[name=web].ports[containerPort=80].protocol", `metadata.annotations["example.com/note"]`,
			"spec.template.spec.containers[5].image", "spec.notThere.x")},
	}, {
		name: "a custom resource's lists by name or index",
		entries: []any{map[string]any{"group": "example.com", "kind": "Widget", "namespace": "prod",
			"jsonPointers": []any{"/spec/items/1/a", "/spec/named/0/a"}}},
		want: []audit.IgnoreRule{{Group: "example.com", Kind: "Widget", Namespace: "prod", Name: "w",
			Paths: []string{"spec.items[1].a", "spec.named[name=n].a"}}},
	}, {
		name: "jq paths",
		entries: []any{
			map[string]any{"group": "apps", "kind": "Deployment", "name": "web", "jqPathExpressions": []any{`.spec.template.spec.containers[] | select(.name == "side") | .image`}},
			map[string]any{"kind": "ConfigMap", "jqPathExpressions": []any{`.data[]`, `.data.nothing | select(. != null)`}},
		},
		want: []audit.IgnoreRule{web("spec.template.spec.containers[name=side].image"),
			{Kind: "ConfigMap", Namespace: "prod", Name: "web", Paths: []string{"data.a", "data.b"}}},
	}, {
		name:    "managers",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "name": "api", "managedFieldsManagers": []any{"hpa-controller"}}},
		want:    []audit.IgnoreRule{{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Managers: []string{"hpa-controller"}}},
	}, {
		name: "another group, name or namespace selects nothing",
		entries: []any{
			map[string]any{"kind": "Deployment", "jsonPointers": []any{"/spec/replicas"}},
			map[string]any{"group": "apps", "kind": "Deployment", "name": "nope", "jsonPointers": []any{"/spec/replicas"}},
			map[string]any{"group": "apps", "kind": "Deployment", "namespace": "dev", "jsonPointers": []any{"/spec/replicas"}},
		},
	}, {
		name:    "a pointer without /",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "jsonPointers": []any{"spec/replicas"}}},
		wantErr: `spec.ignoreDifferences[0]: jsonPointers "spec/replicas": a JSON pointer starts with /`,
	}, {
		name:    "jq that does not parse",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "jqPathExpressions": []any{".spec["}}},
		wantErr: `spec.ignoreDifferences[0]: jqPathExpressions ".spec["`,
	}, {
		name: "jq that fails on an object is skipped for it, as Argo CD skips it",
		entries: []any{map[string]any{"kind": "*", "jqPathExpressions": []any{".data | keys", ".data.a"}},
			map[string]any{"group": "apps", "kind": "Deployment", "name": "api", "jqPathExpressions": []any{".spec.template.spec.containers[].image"}}},
		want: []audit.IgnoreRule{{Kind: "ConfigMap", Namespace: "prod", Name: "web", Paths: []string{"data.a"}}},
	}, {
		name: "globs on group and kind",
		entries: []any{map[string]any{"group": "*", "kind": "Deploy*", "name": "api", "jsonPointers": []any{"/spec/replicas"}},
			map[string]any{"group": "[", "kind": "*", "jsonPointers": []any{"/spec/replicas"}}},
		want: []audit.IgnoreRule{{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Paths: []string{"spec.replicas"}}},
	}, {
		name:    "argocd-cm's global entries, after the Application's",
		entries: []any{map[string]any{"group": "apps", "kind": "Deployment", "name": "api", "jsonPointers": []any{"/spec/replicas"}}},
		cm: map[string]string{
			"resource.customizations.ignoreDifferences.apps_Deployment": "jqPathExpressions: ['.metadata.annotations[\"example.com/note\"]']\n",
			"resource.customizations.ignoreDifferences.ConfigMap":       "jsonPointers: [/data/b]\nmanagedFieldsManagers: [kube-controller-manager]\n",
			"resource.customizations.health.ConfigMap":                  "not an ignore rule",
		},
		want: []audit.IgnoreRule{{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Paths: []string{"spec.replicas"}},
			{Kind: "ConfigMap", Namespace: "prod", Name: "web", Paths: []string{"data.b"}, Managers: []string{"kube-controller-manager"}},
			web(`metadata.annotations["example.com/note"]`),
			{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Paths: []string{`metadata.annotations["example.com/note"]`}}},
	}, {
		name: "argocd-cm's all",
		cm:   map[string]string{"resource.customizations.ignoreDifferences.all": "managedFieldsManagers: [hpa]\n"},
		want: []audit.IgnoreRule{
			{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web", Managers: []string{"hpa"}},
			{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "api", Managers: []string{"hpa"}},
			{Group: "example.com", Kind: "Widget", Namespace: "prod", Name: "w", Managers: []string{"hpa"}},
			{Kind: "ConfigMap", Namespace: "prod", Name: "web", Managers: []string{"hpa"}}},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			app := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"ignoreDifferences": tt.entries}}}
			global, err := argoGlobalIgnores(tt.cm)
			if err != nil {
				t.Fatal(err)
			}
			got, err := (&Reconciler{}).ignoreDifferences(app, objs, global)
			if tt.wantErr != "" {
				if err == nil || len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr {
					t.Fatalf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ignore rules (-want +got):\n%s", diff)
			}
		})
	}
}
