package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

// TestServiceProxy: an in-cluster Service URL the CLI cannot reach (source-controller's artifact
// URL from outside the cluster) is fetched through the API server's service proxy, as the CLI's
// identity; other URLs, and Service URLs that answer, are fetched directly.
func TestServiceProxy(t *testing.T) {
	var asked []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Header.Get("Authorization")+" "+r.URL.RequestURI())
		_, _ = io.WriteString(w, "chart")
	}))
	t.Cleanup(api.Close)
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "direct") }))
	t.Cleanup(direct.Close)
	hc, err := artifactClient(&rest.Config{Host: api.URL, BearerToken: "alice-token"})
	if err != nil {
		t.Fatal(err)
	}
	// The Service's name does not resolve here: nothing in the cluster is reachable directly.
	unreachable := func(host string) string { return "http://" + host }
	tests := []struct {
		name, url, want string
		wantAsked       []string
	}{
		{"an in-cluster Service, through the API server", unreachable("source-controller.flux-system.svc.cluster.local.") + "/helmchart/flux-system/web/web-0.1.0.tgz?x=1", "chart",
			[]string{"Bearer alice-token /api/v1/namespaces/flux-system/services/http:source-controller:80/proxy/helmchart/flux-system/web/web-0.1.0.tgz?x=1"}},
		{"a Service port", unreachable("source-controller.flux-system.svc.invalid:9090") + "/a.tgz", "chart",
			[]string{"Bearer alice-token /api/v1/namespaces/flux-system/services/http:source-controller:9090/proxy/a.tgz"}},
		{"any other URL, directly", direct.URL + "/a.tgz", "direct", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			resp, err := hc.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if diff := cmp.Diff(tt.want, string(body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAsked, asked); diff != "" {
				t.Errorf("requests to the API server (-want +got):\n%s", diff)
			}
		})
	}
}
