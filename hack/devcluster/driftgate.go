package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/webhook"
)

// writeDriftgateConfig writes driftgate.yaml, the defaults but for identities.self, the
// service account driftgate.kubeconfig authenticates as, webhook.url, where the API server calls
// driftgate outside the cluster, and audit.workDir, in the state dir so that down removes the
// audit's Git clones too. It loads it back as serve will.
func writeDriftgateConfig(l layout, webhookPort int) (*config.Config, error) {
	self := selfServiceAccount(config.Default())
	raw := fmt.Sprintf(`# Written by hack/devcluster: every field not set here has its default (docs/configuration.md).
apiVersion: driftgate.io/v1alpha1
kind: Config
identities:
  self: %s   # the service account token in driftgate.kubeconfig
webhook:
  url: https://%s%s   # no Service outside a cluster
audit:
  workDir: %s
`, self.userName(), localAddr(webhookPort), webhook.Path, absPath(l.path("git")))
	if err := os.WriteFile(l.driftgateConfig(), []byte(raw), 0o600); err != nil {
		return nil, fmt.Errorf("writing %s: %w", l.driftgateConfig(), err)
	}
	cfg, err := config.Load(l.driftgateConfig())
	if err != nil {
		return nil, fmt.Errorf("the generated config does not load: %w", err)
	}
	return cfg, nil
}

// serveArgs are `driftgate serve`'s arguments: its own kubeconfig, the generated config and
// serving certificate, and the ports picked at start. Change them here, with serve's flags
// (cmd/driftgate/serve.go): the binary is built from this module, and TestUpDown runs it with
// them. --enable-audit is serve's default, written out because devcluster runs the audit.
func serveArgs(l layout, p ports) []string {
	return []string{
		"serve",
		"--config=" + l.driftgateConfig(),
		"--kubeconfig=" + l.driftgateKubeconfig(),
		"--cert-mode=provided",
		"--cert-dir=" + l.webhookCerts(),
		fmt.Sprintf("--webhook-port=%d", p.Webhook),
		"--metrics-bind-address=" + localAddr(p.Metrics),
		"--health-probe-bind-address=" + localAddr(p.Probe),
		"--log-format=console",
		"--enable-audit",
	}
}

// startDriftgate runs `driftgate serve` and waits for its /readyz (the webhook server started).
func startDriftgate(ctx context.Context, l layout, o *options, p ports) (*supervise.Process, error) {
	proc, err := startProcess(l, driftgateName, o.driftgate, serveArgs(l, p))
	if err != nil {
		return proc, err
	}
	url := "http://" + localAddr(p.Probe) + "/readyz"
	return proc, proc.WaitReady(ctx, o.timeout, supervise.AnswersOK(http.DefaultClient, url))
}
