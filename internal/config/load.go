package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Load reads the file at path over the defaults and validates the result. An empty path
// returns the defaults. Fields the file leaves out keep their default; unknown fields are errors.
func Load(path string) (*Config, error) {
	cfg := Default()
	if path == "" {
		return cfg, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if err := Parse(raw, cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes raw YAML or JSON over cfg and validates the result.
func Parse(raw []byte, cfg *Config) error {
	if err := yaml.UnmarshalStrict(raw, cfg); err != nil {
		return fmt.Errorf("not a valid driftgate.yaml: %s", oneLine(err.Error()))
	}
	return cfg.Validate()
}

// Validate reports the first problem with the configuration, phrased for the operator.
func (c *Config) Validate() error {
	if c.APIVersion != "" && c.APIVersion != "driftgate.io/v1alpha1" {
		return fmt.Errorf("apiVersion %q: want driftgate.io/v1alpha1", c.APIVersion)
	}
	if c.Kind != "" && c.Kind != "Config" {
		return fmt.Errorf("kind %q: want Config", c.Kind)
	}
	if !c.Mode.Valid() {
		return fmt.Errorf("mode %q: want enforce, warn or dryrun", c.Mode)
	}
	if len(c.GitOpsIdentities()) == 0 {
		return errors.New("identities.gitops is empty: no one could write GitOps-owned objects")
	}
	for _, sa := range c.Identities.FluxTenantServiceAccounts {
		if parts := strings.Split(sa, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return fmt.Errorf("identities.fluxTenantServiceAccounts: %q is not namespace/name", sa)
		}
	}
	if len(c.Markers.Annotations)+len(c.Markers.Labels) == 0 && c.Markers.ArgoCDTrackingLabel == "" {
		return errors.New("markers: no ownership marker configured: nothing would be protected")
	}
	for _, ns := range c.ExemptNamespaces {
		if strings.TrimSpace(ns) == "" {
			return errors.New("exemptNamespaces has an empty name: it would exempt every cluster-scoped object")
		}
	}
	if c.Policy.Timeout.Duration <= 0 {
		return fmt.Errorf("policy.timeout %s: must be positive", c.Policy.Timeout.Duration)
	}
	if err := c.Webhook.validate(); err != nil {
		return err
	}
	if err := c.BreakGlass.validate(); err != nil {
		return err
	}
	return c.Audit.validate()
}

func (a *Audit) validate() error {
	if a.Resync.Duration <= 0 || a.Resync.Duration > 10*time.Minute {
		return fmt.Errorf("audit.resync %s: want more than 0 and at most 10m", a.Resync.Duration)
	}
	if a.WorkDir == "" {
		return errors.New("audit.workDir is empty: the audit needs a directory for its Git clones")
	}
	for i, r := range a.Ignore {
		if len(r.Paths) == 0 && len(r.Managers) == 0 {
			return fmt.Errorf("audit.ignore[%d]: no paths or managers", i)
		}
	}
	return nil
}

func (w *Webhook) validate() error {
	if w.Namespace == "" || w.ServiceName == "" || w.ConfigurationName == "" {
		return errors.New("webhook: namespace, serviceName and configurationName must be set")
	}
	if w.FailurePolicy != "Fail" && w.FailurePolicy != "Ignore" {
		return fmt.Errorf("webhook.failurePolicy %q: want Fail or Ignore", w.FailurePolicy)
	}
	if w.TimeoutSeconds < 1 || w.TimeoutSeconds > 30 {
		return fmt.Errorf("webhook.timeoutSeconds %d: want 1 to 30", w.TimeoutSeconds)
	}
	if w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("webhook.url %q: want an https:// URL", w.URL)
		}
	}
	return nil
}

func (b *BreakGlass) validate() error {
	if b.ApprovalsRequired < 0 {
		return fmt.Errorf("breakGlass.approvalsRequired %d: must not be negative", b.ApprovalsRequired)
	}
	if b.MaxDuration.Duration <= 0 || b.PendingTimeout.Duration <= 0 {
		return errors.New("breakGlass.maxDuration and breakGlass.pendingTimeout must be positive")
	}
	if b.ClusterRole == "" {
		return errors.New("breakGlass.clusterRole is empty")
	}
	if _, err := regexp.Compile(b.TicketPattern); err != nil {
		return fmt.Errorf("breakGlass.ticketPattern: %s", oneLine(err.Error()))
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
