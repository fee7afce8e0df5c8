package certs_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/driftgate/driftgate/certs"
	"github.com/driftgate/driftgate/internal/pki"
)

// TestExpiryMetric: the gauge reads the serving certificate's NotAfter on each scrape, and is 0
// while there is no readable certificate.
func TestExpiryMetric(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewPedanticRegistry()
	if err := certs.RegisterExpiryMetric(reg, dir); err != nil {
		t.Fatal(err)
	}
	const name = "driftgate_webhook_certificate_expiry_timestamp_seconds"
	want := func(v string) string {
		return "# HELP " + name + " Unix time the webhook's serving certificate expires; 0 when it cannot be read.\n" +
			"# TYPE " + name + " gauge\n" + name + " " + v + "\n"
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want("0")), name); err != nil {
		t.Errorf("no certificate: %v", err)
	}
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.ServingTemplate("driftgate-webhook"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFiles(map[string][]byte{filepath.Join(dir, certs.CertName): leaf.CertPEM()}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v, %v; want one gauge", mfs, err)
	}
	if got := mfs[0].GetMetric()[0].GetGauge().GetValue(); int64(got) != leaf.Cert.NotAfter.Unix() {
		t.Errorf("expiry = %v, want the certificate's NotAfter %d", got, leaf.Cert.NotAfter.Unix())
	}
}
