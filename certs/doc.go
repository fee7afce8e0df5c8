// Package certs gives the webhook server its TLS certificate: a provided one (cert-manager),
// reloaded when its files change, or one driftgate makes itself with a CA it keeps in a Secret,
// rotates before expiry, and injects into its ValidatingWebhookConfiguration.
package certs
