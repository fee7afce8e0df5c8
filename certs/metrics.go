package certs

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
)

// RegisterExpiryMetric registers driftgate_webhook_certificate_expiry_timestamp_seconds, the
// NotAfter of the serving certificate in certDir, read on each scrape (so a renewal shows at
// once); it is 0 while the file is missing or unreadable.
func RegisterExpiryMetric(reg prometheus.Registerer, certDir string) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "driftgate_webhook_certificate_expiry_timestamp_seconds",
		Help: "Unix time the webhook's serving certificate expires; 0 when it cannot be read.",
	}, func() float64 { return expiry(filepath.Join(certDir, CertName)) }))
}

func expiry(path string) float64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return 0
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return 0
	}
	return float64(cert.NotAfter.Unix())
}
