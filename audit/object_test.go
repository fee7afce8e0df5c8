package audit

import "testing"

func TestObjectFile(t *testing.T) {
	for src, want := range map[string]string{
		"apps/web.yaml (document 2)":                    "apps/web.yaml",
		"list.yaml (document 1) items[3]":               "list.yaml",
		"apps/kustomization.yaml (Deployment/prod/web)": "apps/kustomization.yaml",
		"checkout.yaml":                                 "checkout.yaml",
	} {
		if got := (Object{Source: src}).File(); got != want {
			t.Errorf("Object{Source: %q}.File() = %q, want %q", src, got, want)
		}
	}
}

// TestObjectFileFor: a path a Setter's render differs at is the Setter's; any other path is the
// object's file's.
func TestObjectFileFor(t *testing.T) {
	const patches = "Kustomization flux-system/shop spec.patches"
	deployment := func(replicas any, image string) map[string]any {
		return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"},
			"spec": map[string]any{"replicas": replicas, "template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "app", "image": image}}}}}}
	}
	obj := Object{Source: "apps/web.yaml (Deployment/shop/web)", Content: deployment(int64(3), "web:v2"),
		SetBy: []Setter{{What: patches, Content: deployment(int64(1), "web:v2")}}}
	added := Object{Source: "apps/web.yaml", Content: deployment(int64(1), "web:v1"),
		SetBy: []Setter{{What: "Kustomization flux-system/shop spec.components"}}}
	tests := []struct {
		name  string
		obj   Object
		paths []string
		want  string
	}{
		{"a patched value", obj, []string{"spec.replicas"}, patches},
		{"a value of the file", obj, []string{"spec.template.spec.containers[name=app].image"}, "apps/web.yaml"},
		{"one patched path among others", obj, []string{"spec.template.spec.containers[name=app].image", "spec.replicas"}, patches},
		{"a path neither sets", obj, []string{"spec.paused"}, "apps/web.yaml"},
		{"an object only a component adds", added, []string{"spec.replicas"}, "Kustomization flux-system/shop spec.components"},
		{"no setters", Object{Source: "a.yaml (document 1)"}, []string{"spec.replicas"}, "a.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.obj.FileFor(tt.paths); got != tt.want {
				t.Errorf("FileFor(%q) = %q, want %q", tt.paths, got, tt.want)
			}
		})
	}
}
