package source

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestFluxDigest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main@sha1:4f0c2d1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "4f0c2d1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d"},
		{"sha1:4f0c2d1e", "4f0c2d1e"},
		{"latest@sha256:abcdef", "abcdef"},
		{"refs/tags/v1@sha1:abc", "abc"},
		{"4f0c2d1e", "4f0c2d1e"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FluxDigest(tt.in); got != tt.want {
			t.Errorf("FluxDigest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFetchFluxSetBy: a value the Kustomization's own patch sets is hinted to that patch, and a
// value of the file to the file; a field that changes nothing (postBuild with no variable in
// the files) gives no hint.
func TestFetchFluxSetBy(t *testing.T) {
	ks := exampleKustomization("shop")
	unstructured.SetNestedSlice(ks.Object, []any{map[string]any{"newName": "registry.example.com/checkout-fixed", "name": "registry.example.com/checkout"}}, "spec", "images")
	f := &Fetcher{Dir: t.TempDir()}
	snap, err := f.FetchFlux(context.Background(), Flux{Kustomization: ks, Artifact: fluxArtifact(t, "../../examples/checkout")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range snap.Objects {
		for _, p := range []string{"spec.replicas", "spec.template.spec.containers[name=app].image", "spec.template.spec.containers[name=app].ports[containerPort=8080,protocol=TCP].name"} {
			if o.Kind() == "Deployment" {
				got[p] = o.FileFor([]string{p})
			}
		}
		if o.Kind() == "ConfigMap" {
			got["ConfigMap data"] = o.FileFor([]string{"data"})
		}
	}
	want := map[string]string{
		"spec.replicas": "Kustomization flux-system/shop spec.patches",
		"spec.template.spec.containers[name=app].image":                                       "Kustomization flux-system/shop spec.images",
		"spec.template.spec.containers[name=app].ports[containerPort=8080,protocol=TCP].name": "checkout/deployment.yaml",
		"ConfigMap data": "checkout/configmap.yaml",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("where each value is set (-want +got):\n%s", diff)
	}
}
