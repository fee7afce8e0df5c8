package failure_test

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/testutil"
)

// TestShutdownFailsReadinessThenDrains: on SIGTERM driftgate first fails its readiness check
// while its webhook still answers (so the endpoints controller takes the pod out of the Service
// before it stops serving), then stops cleanly. Its webhook server does not offer HTTP/2.
func TestShutdownFailsReadinessThenDrains(t *testing.T) {
	s := serve(t, serveOptions{shutdownDelay: "10s"})
	ns := ownedNamespace(t)
	waitEnforced(t, ns, "app")
	if proto := negotiatedProtocol(t, s); proto != "http/1.1" {
		t.Errorf("a client offering h2 negotiated %q, want http/1.1 (HTTP/2 off)", proto)
	}

	if err := s.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "readiness failing after SIGTERM", func() bool { return !s.ready(context.Background()) })
	if !s.running() {
		t.Fatal("driftgate exited as soon as it stopped being ready; it must serve through the shutdown delay")
	}
	resp, closed, err := reviewWith(t, webhookClient(s, true), s, ns)
	if err != nil || resp.Allowed || !strings.Contains(resp.Result.Message, ownedDenial) {
		t.Errorf("a review sent after readiness failed got (%+v, %v), want driftgate's denial", resp, err)
	}
	if !closed {
		t.Error("an answer while shutting down kept the connection open; want Connection: close, so the API server reconnects to another replica")
	}
	if err := s.proc.Wait(); err != nil {
		t.Errorf("driftgate exited with %v after SIGTERM, want 0", err)
	}
}

// TestReplicasAllServeOneLeads: two replicas with leader election both answer admission
// reviews; one holds the lease and runs the controllers; when it stops, the other takes over.
func TestReplicasAllServeOneLeads(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	a := serve(t, serveOptions{leaderElect: true})
	b := serve(t, serveOptions{leaderElect: true, port: port, certs: a.certs})
	ns := ownedNamespace(t)
	for _, s := range []*server{a, b} {
		resp, err := review(t, s, ns)
		if err != nil || resp.Allowed || !strings.Contains(resp.Result.Message, ownedDenial) {
			t.Errorf("replica on port %d answered (%+v, %v), want driftgate's denial", s.port, resp, err)
		}
	}
	var leader, follower *server
	testutil.WaitFor(t, "one replica leading", func() bool {
		leader, follower = leading(a, b)
		return leader != nil
	})
	if holder := leaseHolder(t); holder == "" {
		t.Error("the leader election Lease has no holder")
	}
	leader.stop(t)
	testutil.WaitFor(t, "the other replica taking over", func() bool { return leads(follower) })
}

// leading returns the replica that logged acquiring the lease, and the other one.
func leading(a, b *server) (leader, follower *server) {
	switch {
	case leads(a) && !leads(b):
		return a, b
	case leads(b) && !leads(a):
		return b, a
	}
	return nil, nil
}

func leads(s *server) bool {
	raw, err := os.ReadFile(s.proc.Log)
	return err == nil && strings.Contains(string(raw), "Successfully acquired lease")
}

func leaseHolder(t *testing.T) string {
	t.Helper()
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: cluster.Config.Webhook.Namespace, Name: "driftgate.driftgate.io"}
	if err := cluster.AdminActor(t).Client.Get(context.Background(), key, lease); err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// negotiatedProtocol is the ALPN protocol the webhook server picks from h2 and http/1.1.
func negotiatedProtocol(t *testing.T, s *server) string {
	t.Helper()
	conn, err := s.dial("h2", "http/1.1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().NegotiatedProtocol
}
