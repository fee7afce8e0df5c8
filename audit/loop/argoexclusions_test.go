package loop

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestArgoResourceFilter: what Argo CD leaves out of an Application's objects, as its resource
// filter decides for the cluster it runs in: the kinds it always excludes, argocd-cm's
// resource.exclusions (group globs, kinds, "*"), and, where resource.inclusions name the cluster,
// everything they do not include; exclusions win.
func TestArgoResourceFilter(t *testing.T) {
	kinds := [][2]string{{"", "ConfigMap"}, {"", "Endpoints"}, {"discovery.k8s.io", "EndpointSlice"}, {"apps", "Deployment"},
		{"coordination.k8s.io", "Lease"}, {"", "Event"}, {"cilium.io", "CiliumIdentity"}}
	for _, tt := range []struct {
		name    string
		cm      map[string]string
		want    []string // excluded kinds
		wantErr bool
	}{{
		name: "Argo CD's own exclusions only",
		want: []string{"Lease", "Event"},
	}, {
		name: "exclusions as Argo CD's install sets them",
		cm: map[string]string{"resource.exclusions": "- apiGroups: ['', discovery.k8s.io]\n  kinds: [Endpoints, EndpointSlice]\n" +
			"- apiGroups: ['cilium.io']\n  kinds: ['*']\n  clusters: ['*']\n"},
		want: []string{"Endpoints", "EndpointSlice", "Lease", "Event", "CiliumIdentity"},
	}, {
		name: "exclusions for another cluster only",
		cm:   map[string]string{"resource.exclusions": "- apiGroups: ['*']\n  kinds: [Deployment]\n  clusters: [https://other.example.com]\n"},
		want: []string{"Lease", "Event"},
	}, {
		name: "inclusions for the cluster: only what they include",
		cm:   map[string]string{"resource.inclusions": "- apiGroups: ['', apps]\n  kinds: ['*']\n  clusters: ['https://kubernetes.default.svc']\n"},
		want: []string{"EndpointSlice", "Lease", "Event", "CiliumIdentity"},
	}, {
		name:    "not a list",
		cm:      map[string]string{"resource.exclusions": "apiGroups: x"},
		wantErr: true,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := argoResourceFilterOf(tt.cm)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			for _, gk := range kinds {
				if f.excluded(gk[0], gk[1]) {
					got = append(got, gk[1])
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("excluded kinds (-want +got):\n%s", diff)
			}
		})
	}
}
