package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// readyToClose is the report's verdict when every edit is resolved.
const readyToClose = "READY TO CLOSE"

// report is step 10.
func (d *demo) report(ctx context.Context) error {
	d.n.say("The work is done, so alice ends her grant now rather than let it run out:")
	if _, err := d.r.succeed(ctx, d.driftgate("breakglass", "revoke", d.grant, "--as", requester, "--reason", revokeReason)); err != nil {
		return err
	}
	if err := d.waitGrantRevoked(ctx); err != nil {
		return err
	}
	d.n.say("The incident-closure report: ready only when every edit is Backported or Reverted:")
	out, err := d.r.succeed(ctx, d.driftgate("report", "--ticket", ticket))
	if err != nil {
		return err
	}
	if !strings.Contains(out, readyToClose) {
		return fmt.Errorf("the report does not say %s", readyToClose)
	}
	return d.htmlReport(ctx)
}

func (d *demo) waitGrantRevoked(ctx context.Context) error {
	d.n.waiting("grant " + d.grant + " is Revoked")
	return d.kube.waitFor(ctx, "grant "+d.grant+" is Revoked", func(ctx context.Context) (bool, string) {
		g, err := d.kube.grant(ctx, d.grant)
		if err != nil {
			return false, err.Error()
		}
		return g.Status.Phase == v1alpha1.GrantRevoked, fmt.Sprintf("grant %s is %q", d.grant, g.Status.Phase)
	})
}

// htmlReport writes the report as one self-contained HTML page in the state dir.
func (d *demo) htmlReport(ctx context.Context) error {
	path := d.l.report(ticket)
	c := d.driftgate("report", "--ticket", ticket, "-o", "html")
	c.stdout = path
	if _, err := d.r.succeed(ctx, c); err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the HTML report: %w", err)
	}
	if !strings.Contains(string(raw), readyToClose) {
		return fmt.Errorf("the HTML report %s does not say %s", path, readyToClose)
	}
	d.n.good("the HTML report, for people: %s", absPath(path))
	return nil
}

// stop is the last step without KEEP=1.
func (d *demo) stop(ctx context.Context) error {
	if err := d.cluster.down(ctx); err != nil {
		return err
	}
	d.n.say("Nothing is left running. Alice's clone of the repository and the report stay in %s.", d.o.dir)
	d.n.say("KEEP=1 make demo leaves the cluster up to look around.")
	return nil
}

// keep is the last step with KEEP=1: how to use the cluster, and how to stop it.
func (d *demo) keep(context.Context) error {
	d.n.say("The cluster keeps running. To look around:")
	d.n.output(fmt.Sprintf(`export KUBECONFIG=%s
export PATH=%s:$PATH
kubectl get gitsources,bgg,bge
kubectl get %s -n %s
kubectl get deployment %s -n %s -o yaml
%s report --ticket %s
kubectl --context alice -n %s scale deployment/%s --replicas=3   # denied: the grant is revoked
Git: %s (alice's clone: %s; Flux fetches every %s, and the audit whenever Flux applies)
contexts: driftgate-dev (admin, current), alice, carol (group oncall), bob (group %s)
logs: %s
`, shellQuote(absPath(d.l.kubeconfig())), shellQuote(filepath.Dir(d.o.kubectl)), fluxResources, fluxNamespace,
		deployment, namespace, d.o.driftgate, ticket, namespace, deployment, d.url, absPath(d.l.repo()),
		fluxInterval, approverGrp, absPath(filepath.Join(d.l.cluster(), "*.log"))))
	d.n.say("Stop it with this, or the next make demo does:")
	d.n.output(d.cluster.command("down").line() + "\n")
	return nil
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
