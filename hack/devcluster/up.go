package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/driftgate/driftgate/internal/crds"
	"github.com/driftgate/driftgate/internal/supervise"
	"github.com/driftgate/driftgate/webhook"

	"github.com/driftgate/driftgate/internal/argocd"
)

// up starts the cluster unless it runs already. On failure it stops what it started and keeps
// the state dir, logs included; the next up or down removes it.
func up(ctx context.Context, o *options, out io.Writer) error {
	l := layout{o.dir}
	procs, err := l.recorded()
	if err != nil {
		return err
	}
	live, err := liveProcesses(l)
	if err != nil {
		return err
	}
	if len(live) > 0 && len(live) == len(procs) {
		fmt.Fprintf(out, "already running (%s); kubeconfig: %s\n", describe(live), absPath(l.kubeconfig()))
		return nil
	}
	if len(live) > 0 {
		return fmt.Errorf("only partly running (%s): run `make dev-down`, then `make dev-up`", describe(live))
	}
	if err := removeStale(l, out); err != nil {
		return err
	}
	if err := checkInputs(o); err != nil {
		return err
	}
	s := &state{Processes: map[string]process{}}
	if err := bringUp(ctx, l, o, s, out); err != nil {
		stopAll(s, o)
		return err
	}
	printNextSteps(out, l, s)
	return nil
}

func checkInputs(o *options) error {
	if o.assets == "" {
		return errors.New("KUBEBUILDER_ASSETS is not set: run `make dev-up`, or pass --assets \"$(hack/controlplane.sh)\"")
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(o.assets, bin)); err != nil {
			return fmt.Errorf("%s not found in %s: run hack/controlplane.sh: %w", bin, o.assets, err)
		}
	}
	if _, err := os.Stat(o.driftgate); err != nil {
		return fmt.Errorf("%s not found: run `make build` (or pass --driftgate): %w", o.driftgate, err)
	}
	return nil
}

// bringUp starts etcd, kube-apiserver and driftgate, installs driftgate's objects and registers
// its webhook, recording each process in s as it starts.
func bringUp(ctx context.Context, l layout, o *options, s *state, out io.Writer) error {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", l.dir, err)
	}
	var err error
	if s.Ports, err = pickPorts(); err != nil {
		return err
	}
	if err := l.saveState(s); err != nil {
		return err
	}
	pk, err := makePKI(l)
	if err != nil {
		return err
	}
	if err := startControlPlane(ctx, l, o, s, pk, out); err != nil {
		return err
	}
	// The GitOps controllers' kinds are served before driftgate starts: its audit discovers
	// the GitOps objects of the kinds served when it starts.
	if err := installGitOpsCRDs(ctx, l, o); err != nil {
		return err
	}
	if err := startAndRegisterDriftgate(ctx, l, o, s, pk, out); err != nil {
		return err
	}
	if o.flux == "" && o.argocd == "" {
		return nil
	}
	if err := startGitServer(l, s, out); err != nil {
		return err
	}
	if o.flux != "" {
		if err := startFlux(ctx, l, o, s, pk, out); err != nil {
			return err
		}
	}
	if o.argocd != "" {
		return startArgoCD(ctx, l, o, s, pk, out)
	}
	return nil
}

func startControlPlane(ctx context.Context, l layout, o *options, s *state, pk *clusterPKI, out io.Writer) error {
	etcd, err := startEtcd(l, o, s.Ports)
	if err := record(l, s, etcd, err, out); err != nil {
		return err
	}
	if err := waitEtcd(ctx, o, etcd, s.Ports); err != nil {
		return err
	}
	api, err := startAPIServer(l, o, s.Ports)
	if err := record(l, s, api, err, out); err != nil {
		return err
	}
	if err := writeAdminKubeconfig(l.kubeconfig(), apiServerURL(s.Ports), pk); err != nil {
		return err
	}
	admin, err := restConfig(l.kubeconfig())
	if err != nil {
		return err
	}
	return waitAPIServer(ctx, o, api, admin)
}

func startAndRegisterDriftgate(ctx context.Context, l layout, o *options, s *state, pk *clusterPKI, out io.Writer) error {
	admin, err := restConfig(l.kubeconfig())
	if err != nil {
		return err
	}
	cfg, err := writeDriftgateConfig(l, s.Ports.Webhook)
	if err != nil {
		return err
	}
	toks, err := install(ctx, admin, o, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "installed driftgate's CRDs, service accounts and RBAC")
	self := selfServiceAccount(cfg)
	if err := writeTokenKubeconfig(l.driftgateKubeconfig(), apiServerURL(s.Ports), pk.clusterCA.CertPEM(), self.userName(), toks.self); err != nil {
		return err
	}
	if err := addTokenContext(l.kubeconfig(), fluxContext, fluxServiceAccount.userName(), toks.flux); err != nil {
		return err
	}
	dg, err := startDriftgate(ctx, l, o, s.Ports)
	if err := record(l, s, dg, err, out); err != nil {
		return err
	}
	if err := register(ctx, admin, o, webhook.Configuration(cfg, pk.webhookCA.CertPEM())); err != nil {
		return err
	}
	fmt.Fprintf(out, "registered the ValidatingWebhookConfiguration %s (https://%s)\n", cfg.Webhook.ConfigurationName, localAddr(s.Ports.Webhook))
	return nil
}

// record keeps a started process in state.json, then passes on the error of starting or
// waiting for it.
func record(l layout, s *state, p *supervise.Process, startErr error, out io.Writer) error {
	if p != nil {
		s.Processes[p.Name] = process{Name: p.Name, Record: p.Record}
		if err := l.saveState(s); err != nil {
			return err
		}
	}
	if startErr != nil {
		return startErr
	}
	fmt.Fprintf(out, "started %s (pid %d, log %s)\n", p.Name, p.PID, l.log(p.Name))
	return nil
}

// stopAll stops the processes in s after a failed up, newest first; errors are dropped, the
// failure that led here is the one reported.
func stopAll(s *state, o *options) {
	for i := len(components()) - 1; i >= 0; i-- {
		name := components()[i]
		if p, ok := s.Processes[name]; ok && alive(p) {
			p.Name = name
			_ = stopProcess(p, o.grace)
		}
	}
}

func printNextSteps(out io.Writer, l layout, s *state) {
	kubeconfig := absPath(l.kubeconfig())
	fmt.Fprintf(out, `
driftgate's local cluster is up.
  kubeconfig  %s
              contexts: %s (admin, current), alice, carol (group oncall), bob (group driftgate-approvers),
              flux (kustomize-controller's service-account token)
  logs        %s
  stop        make dev-down

Try:
  export KUBECONFIG=%s
  export PATH="$(dirname "$(hack/kubectl.sh)"):$PATH"   # kubectl v1.37.1, built and cached the first time
  kubectl get crd,bgg,bge
  kubectl --context flux -n demo create configmap app --from-literal=color=blue
  kubectl --context flux -n demo label configmap app kustomize.toolkit.fluxcd.io/name=apps
  kubectl --context alice -n demo patch configmap app -p '{"data":{"color":"red"}}'   # denied by driftgate
  bin/driftgate breakglass request --context alice -n demo --resource configmaps --for 1h --ticket INC-1 --reason "wrong colour"
  bin/driftgate breakglass approve --context bob GRANT
  kubectl --context alice -n demo patch configmap app -p '{"data":{"color":"red"}}'   # allowed, warned, recorded
  kubectl get bgg,bge
`, kubeconfig, clusterName, absPath(filepath.Join(l.dir, "*.log")), kubeconfig)
	if _, ok := s.Processes[gitServerName]; !ok {
		return
	}
	fmt.Fprintf(out, `
Git is served on http://%s/ from %s (git push works).
`, localAddr(s.Ports.GitServer), absPath(l.gitRoot()))
	if _, ok := s.Processes[kustomizeName]; ok {
		fmt.Fprint(out, `Flux (source-controller, kustomize-controller) runs too, with its own tokens:
  kubectl get gitrepositories,kustomizations -A
`)
	}
	if _, ok := s.Processes[argocd.ApplicationController]; ok {
		fmt.Fprint(out, `Argo CD (application controller, repo server, Redis) runs too, with its controller's token;
Applications go in namespace argocd, with destination server https://kubernetes.default.svc:
  kubectl get applications -A
`)
	}
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// installGitOpsCRDs installs the CRDs of the GitOps controllers the cluster runs.
func installGitOpsCRDs(ctx context.Context, l layout, o *options) error {
	admin, err := restConfig(l.kubeconfig())
	if err != nil {
		return err
	}
	for _, c := range []struct{ name, dir string }{{"Flux", o.flux}, {"Argo CD", o.argocd}} {
		if c.dir == "" {
			continue
		}
		if err := crds.Install(ctx, admin, filepath.Join(c.dir, "crds"), o.timeout); err != nil {
			return fmt.Errorf("installing %s's CRDs from %s: %w", c.name, filepath.Join(c.dir, "crds"), err)
		}
	}
	return nil
}
