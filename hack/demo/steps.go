package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// steps are the story, in order.
func (d *demo) steps() []step {
	last := step{"Stop the cluster", d.stop}
	if d.o.keep {
		last = step{"Leave the cluster running (KEEP=1)", d.keep}
	}
	return []step{
		{"Start a local Kubernetes cluster with driftgate in it", d.startCluster},
		{"Put the shop's manifests in Git, and let Flux apply them", d.gitOps},
		{"Point driftgate's drift audit at the Git repository", d.gitSource},
		{"Alice, on call, tries a hotfix by hand: driftgate denies it", d.denied},
		{"Alice asks for break-glass access for incident " + ticket + "; bob approves it", d.breakGlass},
		{"Alice's emergency edits go through, with a warning, and are recorded", d.emergencyEdits},
		{"The audit: both edits must be backported to Git, or reverted", d.backportRequired},
		{"The image fix goes to Git: its edit becomes Backported", d.backport},
		{"The memory raise is undone live: its edit becomes Reverted", d.revert},
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
	d.n.say("etcd, kube-apiserver and `driftgate serve` (webhook, grant controller, drift audit) run")
	d.n.say("on this machine, without Docker. This cluster lives in %s,", d.l.cluster())
	d.n.say("apart from make dev-up's.")
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
	d.n.say("%s (%s, memory limit %s). Its labels are those Flux's", deployment, oldImage, oldMemory)
	d.n.say("kustomize-controller puts on what it applies. It goes into a new Git repository; go-git")
	d.n.say("does the Git commands in-process, so no git binary is needed.")
	if err := d.newRepo(); err != nil {
		return err
	}
	d.n.say("Flux applies it as kustomize-controller does: server-side apply, its field manager, and its")
	d.n.say("service account's own token (the kubeconfig's flux context; a name worn with --as is a person's):")
	_, err := d.r.succeed(ctx, d.kubectl("--context", fluxContext, "apply", "--server-side", "--field-manager="+fluxManager,
		"-k", filepath.Join(d.l.repo(), appDir)))
	return err
}

// newRepo creates the demo repository with the example app in it, committed.
func (d *demo) newRepo() error {
	repo := d.l.repo()
	d.n.command("git init -b "+branch+" "+repo, "go-git")
	var err error
	if d.repo, err = initRepo(repo); err != nil {
		return err
	}
	d.n.command(fmt.Sprintf("cp -r %s %s", d.o.examples, filepath.Join(repo, appDir)), "in-process")
	if err := d.repo.copyIn(d.o.examples, appDir); err != nil {
		return err
	}
	return d.commit("git -C "+repo+" add -A && git -C "+repo+" commit -m", "shop: checkout "+tag(oldImage))
}

// commit commits everything in the repository, shown as shown plus the message, and keeps
// the revision in d.head.
func (d *demo) commit(shown, message string) error {
	d.n.command(shown+" "+shellQuote(message), "go-git")
	rev, err := d.repo.commitAll(message)
	if err != nil {
		return err
	}
	d.head = rev
	d.n.output(fmt.Sprintf("[%s %s] %s\n", branch, rev, message))
	return nil
}

// tag is an image reference's tag.
func tag(image string) string { return image[strings.LastIndex(image, ":")+1:] }
