package failure_test

import (
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// TestCertificateRotationLosesNoRequest: while the API server keeps calling driftgate (over its
// kept-alive connections) and a client calls it directly with a new TLS handshake per request
// (as a new API server connection would), its serving certificate is renewed three times, as
// cert-manager renews it (and the kubelet updates the mounted Secret of the self-managed one):
// every admission request across the rotations gets driftgate's answer, none fails.
func TestCertificateRotationLosesNoRequest(t *testing.T) {
	s := serve(t, serveOptions{})
	ns := ownedNamespace(t)
	waitEnforced(t, ns, "app")

	load := startLoad(t, s, ns)
	for i := range 3 {
		leaf := s.certs.renew(t)
		testutil.WaitFor(t, fmt.Sprintf("renewal %d served", i+1), func() bool {
			served, err := servedCertificate(s)
			return err == nil && served.Equal(leaf.Cert)
		})
		answered := load.answered.Load()
		testutil.WaitFor(t, "requests answered with the renewed certificate", func() bool {
			return load.answered.Load() >= answered+10
		})
	}
	if failures := load.stop(); len(failures) > 0 {
		t.Errorf("%d of %d admission requests failed across the rotations; first: %s",
			len(failures), load.answered.Load(), failures[0])
	}
}

// load has carol (denied by driftgate) and Flux (allowed) dry-run writes to the owned
// ConfigMap, one after another, until stopped, and keeps every unexpected answer.
type load struct {
	answered atomic.Int64
	done     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	failures []string
}

func startLoad(t *testing.T, s *server, ns string) *load {
	t.Helper()
	l := &load{done: make(chan struct{})}
	carol, flux := cluster.Person(t, "carol"), cluster.ServiceAccount(t, testenv.Flux)
	l.wg.Add(2)
	go func() {
		defer l.wg.Done()
		for !l.stopped() {
			resp, err := freshReview(t, s, ns)
			l.check("a new connection", err, err == nil && !resp.Allowed && strings.Contains(resp.Result.Message, ownedDenial))
		}
	}()
	go func() {
		defer l.wg.Done()
		for i := 0; !l.stopped(); i++ {
			err := setColor(carol, ns, "app", "red", client.DryRunAll)
			l.check("carol", err, err != nil && strings.Contains(err.Error(), ownedDenial))
			err = setColor(flux, ns, "app", fmt.Sprintf("v%d", i), client.DryRunAll)
			l.check("Flux", err, err == nil)
		}
	}()
	t.Cleanup(func() { l.stop() })
	return l
}

func (l *load) check(who string, err error, ok bool) {
	l.answered.Add(1)
	if !ok {
		l.mu.Lock()
		l.failures = append(l.failures, fmt.Sprintf("%s: %v", who, err))
		l.mu.Unlock()
	}
}

func (l *load) stopped() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// stop ends the load and returns the unexpected answers.
func (l *load) stop() []string {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failures
}

// servedCertificate is the certificate driftgate's webhook server presents now.
func servedCertificate(s *server) (*x509.Certificate, error) {
	conn, err := s.dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}
