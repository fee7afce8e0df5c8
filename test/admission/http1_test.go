package admission_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/driftgate/driftgate/webhook"
)

// TestWebhookServesHTTP1Only: the webhook server the suites run is set up as `driftgate serve`
// sets it up, HTTP/2 off (CVE-2023-44487, rapid reset). A client offering h2 first, as the API
// server's does, negotiates http/1.1, and a request from a client that would use HTTP/2 is
// answered over HTTP/1.1.
func TestWebhookServesHTTP1Only(t *testing.T) {
	tc, err := cluster.WebhookTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.NextProtos = []string{"h2", "http/1.1"}
	conn, err := tls.Dial("tcp", cluster.WebhookAddr(), tc)
	if err != nil {
		t.Fatalf("TLS handshake with the webhook server: %v", err)
	}
	defer conn.Close()
	if got := conn.ConnectionState().NegotiatedProtocol; got != "http/1.1" {
		t.Errorf("the webhook server negotiated ALPN protocol %q with a client offering h2 and http/1.1, want http/1.1", got)
	}

	tc, err = cluster.WebhookTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post("https://"+cluster.WebhookAddr()+webhook.Path, "application/json", bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatalf("posting to the webhook server: %v", err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Errorf("the webhook server answered over %s, want HTTP/1.1", resp.Proto)
	}
}
