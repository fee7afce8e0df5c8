package backport

import (
	"context"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// fluxKustomization is a Flux Kustomization of testdata/repo's apps: a patch raises the
// checkout's replicas, an image override pins the proxy, and a patch sets LOG_LEVEL to the
// value the file already has.
func fluxKustomization() unstructured.Unstructured {
	return unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"namespace": "flux-system", "name": "apps"},
		"spec": map[string]any{
			"path":      "./apps",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "fleet"},
			"patches": []any{
				map[string]any{
					"patch":  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\nspec:\n  replicas: 3\n",
					"target": map[string]any{"kind": "Deployment", "name": "checkout"},
				},
				map[string]any{
					"patch":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout-config\ndata:\n  LOG_LEVEL: info\n",
					"target": map[string]any{"kind": "ConfigMap", "name": "checkout-config"},
				},
			},
			"images": []any{map[string]any{"name": "envoyproxy/envoy", "newTag": "v1.31.0"}},
		},
	}}
}

// TestRunFlux: a GitSource with spec.sourceRef is backported into the files of its
// Kustomization's path; values the Kustomization object makes (a patch, an image override) are
// reported as not in the repository, also when the patch repeats the file's value (the render
// of the backport shows the value would not change).
func TestRunFlux(t *testing.T) {
	app := edit(t, "inc-7-alice-1", "INC-7", "apps/v1", "Deployment", "shop", "checkout", map[string][2]any{
		"spec.template.spec.containers[name=app].image": {"registry.example.com/checkout:v1.2.3", "registry.example.com/checkout:v1.2.4"},
	})
	replicas := edit(t, "inc-7-alice-2", "INC-7", "apps/v1", "Deployment", "shop", "checkout", map[string][2]any{
		"spec.replicas": {3, 5},
	})
	proxy := edit(t, "inc-7-alice-3", "INC-7", "apps/v1", "Deployment", "shop", "checkout", map[string][2]any{
		"spec.template.spec.containers[name=proxy].image": {"envoyproxy/envoy:v1.31.0", "envoyproxy/envoy:v1.31.1"},
	})
	level := edit(t, "inc-7-alice-4", "INC-7", "v1", "ConfigMap", "shop", "checkout-config", map[string][2]any{
		"data.LOG_LEVEL": {"info", "debug"},
	})
	tests := []struct {
		name       string
		edits      []v1alpha1.BreakGlassEdit
		wantStates map[string]string
		wantReason map[string]string
		wantDiff   []string
	}{{
		name:       "a value of a file",
		edits:      []v1alpha1.BreakGlassEdit{app},
		wantStates: map[string]string{"inc-7-alice-1": Written},
		wantDiff: []string{
			"-        image: registry.example.com/checkout:v1.2.3  # bumped by CI",
			"+        image: registry.example.com/checkout:v1.2.4  # bumped by CI",
		},
	}, {
		name:       "values of the Kustomization object",
		edits:      []v1alpha1.BreakGlassEdit{app, replicas, proxy, level},
		wantStates: map[string]string{"inc-7-alice-1": Written, "inc-7-alice-2": NotWritten, "inc-7-alice-3": NotWritten, "inc-7-alice-4": NotWritten},
		wantReason: map[string]string{
			"inc-7-alice-2": "the value comes from Kustomization flux-system/apps, spec.patches, not from a file in the repository",
			"inc-7-alice-3": "the value comes from Kustomization flux-system/apps, spec.images, not from a file in the repository",
			"inc-7-alice-4": `data.LOG_LEVEL: with the change written, Kustomization flux-system/apps still renders "info"`,
		},
		wantDiff: []string{"+        image: registry.example.com/checkout:v1.2.4  # bumped by CI"},
	}}
	author := object.Signature{Name: "Alice", Email: "alice@example.com"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newGitHost(t)
			before := state(t, h.bare)
			src := Source{Name: "kustomization.flux-system.apps", URL: h.url, Revision: "main", Path: "./apps",
				DefaultNamespace: "default", Flux: &Flux{Kustomization: fluxKustomization()}}
			res, err := Run(context.Background(), src, tt.edits, grants, liveFrom(t, tt.edits), Options{DryRun: true, Author: author})
			if err != nil {
				t.Fatal(err)
			}
			gotStates, gotReasons := map[string]string{}, map[string]string{}
			for _, r := range res.Edits {
				gotStates[r.Edit] = r.State
				if r.Reason != "" {
					gotReasons[r.Edit] = r.Reason
				}
			}
			if diff := cmp.Diff(tt.wantStates, gotStates); diff != "" {
				t.Errorf("edit states (-want +got):\n%s", diff)
			}
			for e, want := range tt.wantReason {
				if !strings.Contains(gotReasons[e], want) {
					t.Errorf("edit %s: reason %q, want it to say %q", e, gotReasons[e], want)
				}
			}
			for _, want := range tt.wantDiff {
				if !strings.Contains(res.Diff, want+"\n") {
					t.Errorf("the diff lacks %q:\n%s", want, res.Diff)
				}
			}
			for _, line := range strings.Split(res.Diff, "\n") {
				changed := strings.HasPrefix(line, "+ ") || strings.HasPrefix(line, "- ")
				if changed && (strings.Contains(line, "replicas") || strings.Contains(line, "LOG_LEVEL") || strings.Contains(line, "envoy")) {
					t.Errorf("the diff writes a value the Kustomization makes: %s", line)
				}
			}
			if diff := cmp.Diff(before, state(t, h.bare)); diff != "" {
				t.Errorf("a dry run changed the repository (-before +after):\n%s", diff)
			}
		})
	}
}
