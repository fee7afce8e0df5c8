package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"k8s.io/client-go/rest"
)

// serviceProxy reaches a Kubernetes Service's in-cluster URL
// (http://<service>.<namespace>.svc[.<cluster domain>][:port]/path, as source-controller's
// artifact URLs are) from where the CLI runs: directly when that works (inside the cluster),
// else through the API server's service proxy as the CLI's identity (it needs get on
// services/proxy). Other URLs go directly.
type serviceProxy struct {
	// api is the API server's URL; viaAPI is authenticated to it.
	api    *url.URL
	viaAPI http.RoundTripper
	direct http.RoundTripper
}

// artifactClient is an HTTP client that downloads Flux artifacts through serviceProxy.
func artifactClient(cfg *rest.Config) (*http.Client, error) {
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("the API server's transport: %w", err)
	}
	host := cfg.Host
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	api, err := url.Parse(strings.TrimSuffix(host, "/"))
	if err != nil {
		return nil, fmt.Errorf("the API server's URL %q: %w", cfg.Host, err)
	}
	return &http.Client{Transport: serviceProxy{api: api, viaAPI: rt, direct: http.DefaultTransport}}, nil
}

// RoundTrip implements http.RoundTripper.
func (p serviceProxy) RoundTrip(req *http.Request) (*http.Response, error) {
	svc, ns, ok := inClusterService(req.URL)
	if !ok {
		return p.direct.RoundTrip(req)
	}
	resp, err := p.direct.RoundTrip(req)
	if err == nil {
		return resp, nil
	}
	port := req.URL.Port()
	if port == "" {
		port = "80"
	}
	u := *p.api
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/namespaces/" + ns + "/services/http:" + svc + ":" + port + "/proxy" + req.URL.Path
	u.RawPath, u.RawQuery = "", req.URL.RawQuery
	proxied := req.Clone(req.Context())
	proxied.URL, proxied.Host = &u, ""
	resp, perr := p.viaAPI.RoundTrip(proxied)
	if perr != nil {
		return nil, fmt.Errorf("%w; through the API server's service proxy: %w", err, perr)
	}
	return resp, nil
}

// inClusterService is the Service and namespace of an http URL of the form
// <service>.<namespace>.svc[.<cluster domain>][.].
func inClusterService(u *url.URL) (svc, namespace string, ok bool) {
	if u.Scheme != "http" {
		return "", "", false
	}
	parts := strings.Split(strings.TrimSuffix(u.Hostname(), "."), ".")
	if len(parts) < 3 || parts[2] != "svc" || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}
