package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/internal/gitwork"
)

// steps are the story, in order.
func (d *demo) steps() []step {
	last := step{"Stop the cluster", d.stop}
	if d.o.keep {
		last = step{"Leave the cluster running (KEEP=1)", d.keep}
	}
	return []step{
		{"Start a local Kubernetes cluster with driftgate and Flux in it", d.startCluster},
		{"Push the shop's manifests to Git, and let Flux apply them", d.gitOps},
		{"driftgate audits what Flux applies, with no second declaration", d.gitSource},
		{"Alice, on call, tries a hotfix by hand: driftgate denies it", d.denied},
		{"Alice asks for break-glass access for incident " + ticket + "; bob approves it", d.breakGlass},
		{"Alice's emergency edits go through, with a warning, and are recorded", d.emergencyEdits},
		{"The audit: both edits must be backported to Git, or reverted", d.backportRequired},
		{"Flux reconciles: driftgate's self-heal protection keeps alice's fix live", d.selfHeal},
		{"The image fix goes to Git and Flux applies it: its edit becomes Backported", d.backport},
		{"The memory raise is undone live: its edit becomes Reverted, the protection is lifted", d.revert},
		{"Close the incident: the report says READY TO CLOSE", d.report},
		last,
	}
}

func (d *demo) kubectl(args ...string) command {
	return command{name: "kubectl", path: d.o.kubectl, args: args}
}

func (d *demo) driftgate(args ...string) command {
	return command{name: d.o.driftgate, args: args}
}

// startCluster is step 1.
func (d *demo) startCluster(ctx context.Context) error {
	d.n.say("etcd, kube-apiserver, `driftgate serve` (webhook, grant controller, drift audit), Flux's")
	d.n.say("source-controller and kustomize-controller (v1.9.6, built by hack/flux.sh, each with its own")
	d.n.say("service account's token) and a Git server run on this machine, without Docker. This cluster")
	d.n.say("lives in %s, apart from make dev-up's.", d.l.cluster())
	if _, err := d.cluster.up(ctx); err != nil {
		return err
	}
	kubeconfig, err := filepath.Abs(d.l.kubeconfig())
	if err != nil {
		return fmt.Errorf("locating %s: %w", d.l.kubeconfig(), err)
	}
	if d.kube, err = newKube(kubeconfig, d.o.timeout); err != nil {
		return err
	}
	d.r.env = append(d.r.env, "KUBECONFIG="+kubeconfig)
	d.n.say("The commands below act as the cluster's admin, who may act as anyone (--as alice);")
	d.n.say("kubectl is v1.37.1, built by hack/kubectl.sh:")
	d.n.command("export KUBECONFIG="+d.l.kubeconfig(), "")
	d.n.command(fmt.Sprintf("export PATH=%s:$PATH", shellQuote(filepath.Dir(d.o.kubectl))), "")
	return nil
}

// gitOps is step 2.
func (d *demo) gitOps(ctx context.Context) error {
	d.n.say("%s is a small app: Namespace %s, a ConfigMap, a Service and the Deployment", d.o.examples, namespace)
	d.n.say("%s (%s, memory limit %s).", deployment, oldImage, oldMemory)
	d.n.say("It goes into a new repository on the cluster's Git server; go-git does the Git commands in-process.")
	if err := d.newRepo(); err != nil {
		return err
	}
	d.n.say("A platform engineer points Flux at it: a GitRepository fetches main and a Kustomization applies")
	d.n.say("%s/ every %s, pruning what Git drops:", appDir, fluxInterval)
	if err := d.applyFlux(ctx); err != nil {
		return err
	}
	return d.showAppliedByFlux(ctx)
}

// newRepo creates the repository on the Git server, and alice's clone of it with the example
// app committed and pushed.
func (d *demo) newRepo() error {
	server, err := d.cluster.gitServer()
	if err != nil {
		return err
	}
	d.url = server + "/" + repoName + ".git"
	served := d.l.served(repoName)
	d.n.command("git init --bare -b "+branch+" "+served, "go-git; the Git server serves "+server+"/ from there")
	if err := gitwork.InitBare(served); err != nil {
		return err
	}
	repo := d.l.repo()
	d.n.command(fmt.Sprintf("git init -b %s %s && git -C %s remote add %s %s", branch, repo, repo, remoteName, d.url), "go-git")
	if d.repo, err = gitwork.Init(repo, d.url, "driftgate demo"); err != nil {
		return err
	}
	d.n.command(fmt.Sprintf("cp -r %s %s", d.o.examples, filepath.Join(repo, appDir)), "in-process")
	if err := d.repo.CopyIn(d.o.examples, appDir); err != nil {
		return err
	}
	if err := d.commit("git -C "+repo+" add -A && git -C "+repo+" commit -m", "shop: checkout "+tag(oldImage)); err != nil {
		return err
	}
	return d.push()
}

// commit commits everything in the repository, shown as shown plus the message, and keeps
// the commit in d.head.
func (d *demo) commit(shown, message string) error {
	d.n.command(shown+" "+shellQuote(message), "go-git")
	h, err := d.repo.CommitAll(message)
	if err != nil {
		return err
	}
	d.head = h
	d.n.output(fmt.Sprintf("[%s %s] %s\n", branch, short(h), message))
	return nil
}

// push pushes main to the Git server, over HTTP.
func (d *demo) push() error {
	d.n.command(fmt.Sprintf("git -C %s push %s %s", d.l.repo(), remoteName, branch), "go-git")
	out, err := d.repo.Push()
	if err != nil {
		return err
	}
	d.n.output(out)
	return nil
}

// applyFlux creates the GitRepository and the Kustomization and waits until Flux has applied
// the app.
func (d *demo) applyFlux(ctx context.Context) error {
	manifest := fluxYAML(d.url)
	if err := os.WriteFile(d.l.flux(), []byte(manifest), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", d.l.flux(), err)
	}
	d.n.command("cat "+d.l.flux(), "")
	d.n.output(manifest)
	if _, err := d.r.succeed(ctx, d.kubectl("apply", "-f", d.l.flux())); err != nil {
		return err
	}
	if err := d.waitApplied(ctx, d.head); err != nil {
		return err
	}
	_, err := d.r.succeed(ctx, d.kubectl("get", fluxResources, "-n", fluxNamespace))
	return err
}

// showAppliedByFlux shows who wrote the app: kustomize-controller, with its own token.
func (d *demo) showAppliedByFlux(ctx context.Context) error {
	if _, err := d.r.succeed(ctx, d.kubectl("get", "deployments,services,configmaps", "-n", namespace,
		"-o", "custom-columns=KIND:.kind,NAME:.metadata.name,WRITTEN-BY:.metadata.managedFields[*].manager")); err != nil {
		return err
	}
	dep, err := d.kube.deployment(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(dep.ManagedFields, func(m metav1.ManagedFieldsEntry) bool { return m.Manager == fluxManager }) {
		return fmt.Errorf("Deployment %s/%s has no fields of %s: Flux did not apply it", namespace, deployment, fluxManager)
	}
	d.n.good("Flux's %s applied the app, with its own token: driftgate let its writes through", fluxManager)
	return nil
}

// tag is an image reference's tag.
func tag(image string) string { return image[strings.LastIndex(image, ":")+1:] }
