package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSkipAnnotation(t *testing.T) {
	obj := func(name string, annotations map[string]any, labels map[string]any, image string) Object {
		return Object{Source: name, Content: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": name, "namespace": "shop", "annotations": annotations, "labels": labels},
			"spec":     map[string]any{"replicas": float64(1), "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": image}}}}},
		}}
	}
	flux := map[string]any{"kustomize.toolkit.fluxcd.io/name": "shop", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}
	skip := map[string]any{SkipAnnotation: "true"}
	tests := []struct {
		name        string
		desired     []Object
		live        []Object
		wantStatus  map[string]Status
		wantSkipped []string
	}{
		{
			name:        "drifted but skipped in Git",
			desired:     []Object{obj("web", skip, nil, "nginx:1"), obj("api", nil, nil, "api:1")},
			live:        []Object{obj("web", nil, flux, "nginx:2"), obj("api", nil, flux, "api:1")},
			wantStatus:  map[string]Status{"api": InSync},
			wantSkipped: []string{"web"},
		},
		{
			name:        "missing but skipped",
			desired:     []Object{obj("web", skip, nil, "nginx:1")},
			wantStatus:  map[string]Status{},
			wantSkipped: []string{"web"},
		},
		{
			name:        "the live annotation is not read",
			desired:     []Object{obj("web", nil, nil, "nginx:1")},
			live:        []Object{obj("web", skip, flux, "nginx:2")},
			wantStatus:  map[string]Status{"web": Drifted},
			wantSkipped: nil,
		},
		{
			name:        "not skipped unless true",
			desired:     []Object{obj("web", map[string]any{SkipAnnotation: "false"}, nil, "nginx:1")},
			live:        []Object{obj("web", map[string]any{SkipAnnotation: "false"}, flux, "nginx:1")},
			wantStatus:  map[string]Status{"web": InSync},
			wantSkipped: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := d.Diff(tt.desired, tt.live)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Status{}
			for _, o := range rep.Objects {
				got[o.Name] = o.Status
			}
			if diff := cmp.Diff(tt.wantStatus, got); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			var skipped []string
			for _, o := range rep.Skipped {
				skipped = append(skipped, o.Name)
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if rep.Summary.Skipped != len(tt.wantSkipped) {
				t.Errorf("summary.skipped %d, want %d", rep.Summary.Skipped, len(tt.wantSkipped))
			}
		})
	}
}
