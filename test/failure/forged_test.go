package failure_test

import (
	"context"
	"testing"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/test/testenv"
)

// TestForgedReviewNeedsTheAPIServersCertificate: the webhook answers any TLS client unless it
// checks callers' client certificates. A review made up by a client (carol's update of an owned
// ConfigMap in a warn-mode namespace, which driftgate records) creates a record when nothing
// checks; with --client-ca the same review fails the handshake and creates nothing, while the
// API server, presenting its certificate, is still answered.
func TestForgedReviewNeedsTheAPIServersCertificate(t *testing.T) {
	// The registered driftgate checks callers: the API server, presenting its certificate, is
	// answered (serve waits until it is), so the namespaces and objects below go through it.
	checked := serve(t, serveOptions{clientCA: true})
	open1, open2 := warnModeApp(t), warnModeApp(t)
	if err := setColor(cluster.Person(t, "carol"), open2, "app", "red"); err != nil {
		t.Fatalf("carol's real write in warn mode, reviewed by the API server with its certificate: %v", err)
	}

	// A second driftgate, checking nothing, on a port of its own: a made-up review is answered
	// and makes a record (the hole --client-ca closes).
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	unchecked := serve(t, serveOptions{port: port, certs: checked.certs})
	resp, err := review(t, unchecked, open1)
	if err != nil || !resp.Allowed {
		t.Fatalf("a made-up review to a driftgate that checks no certificate: (%+v, %v), want it answered (allowed, warn mode)", resp, err)
	}
	if n := recordsOf(t, "review-"+open1); n != 1 {
		t.Fatalf("records of the made-up review without checks: %d, want 1", n)
	}

	// The same review to the driftgate that checks: refused at the handshake, nothing recorded.
	if _, err := review(t, checked, open2); err == nil {
		t.Fatal("a review sent without the API server's client certificate was answered")
	}
	if n := recordsOf(t, "review-"+open2); n != 0 {
		t.Fatalf("records of the refused made-up review: %d, want none", n)
	}
}

// warnModeApp is a warn-mode namespace with a Flux-owned ConfigMap app in it.
func warnModeApp(t *testing.T) string {
	t.Helper()
	ns := cluster.Namespace(t, map[string]string{"driftgate.io/mode": "warn"})
	mustCreate(t, cluster.ServiceAccount(t, testenv.Flux), configMap(ns, "app", fluxLabel(), "blue"))
	return ns
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
