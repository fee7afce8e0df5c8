package failure_test

import (
	"context"
	"testing"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testenv"
)

// TestForgedReviewNeedsTheAPIServersCertificate: the webhook answers any TLS client unless it
// checks callers' client certificates. A review made up by a client (carol's update of an owned
// ConfigMap in a warn-mode namespace, which driftgate records) creates a record when nothing
// checks; with --client-ca the same review fails the handshake and creates nothing, while the
// API server, presenting its certificate, is still answered.
func TestForgedReviewNeedsTheAPIServersCertificate(t *testing.T) {
	ns := cluster.Namespace(t, map[string]string{"driftgate.io/mode": "warn"})
	mustCreate(t, cluster.ServiceAccount(t, testenv.Flux), configMap(ns, "app", fluxLabel(), "blue"))

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	open := serve(t, serveOptions{port: port})
	resp, err := review(t, open, ns)
	if err != nil || !resp.Allowed {
		t.Fatalf("a made-up review to a driftgate that checks no certificate: (%+v, %v), want it answered (allowed, warn mode)", resp, err)
	}
	if n := recordsOf(t, "review-"+ns); n != 1 {
		t.Fatalf("records of the made-up review without checks: %d, want 1 (the hole --client-ca closes)", n)
	}

	ns2 := cluster.Namespace(t, map[string]string{"driftgate.io/mode": "warn"})
	mustCreate(t, cluster.ServiceAccount(t, testenv.Flux), configMap(ns2, "app", fluxLabel(), "blue"))
	checked := serve(t, serveOptions{clientCA: true, certs: open.certs}) // registered: the API server calls it
	if _, err := review(t, checked, ns2); err == nil {
		t.Fatal("a review sent without the API server's client certificate was answered")
	}
	if n := recordsOf(t, "review-"+ns2); n != 0 {
		t.Fatalf("records of the refused made-up review: %d, want none", n)
	}
	if err := setColor(cluster.Person(t, "carol"), ns2, "app", "red"); err != nil {
		t.Fatalf("carol's real write in warn mode, reviewed by the API server with its certificate: %v", err)
	}
}

// recordsOf counts the edit records of an admission request.
func recordsOf(t *testing.T, uid string) int {
	t.Helper()
	var list v1alpha1.BreakGlassEditList
	if err := cluster.AdminActor(t).Client.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Spec.RequestUID == uid {
			n++
		}
	}
	return n
}
