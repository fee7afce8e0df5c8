package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// gitSource is step 3.
func (d *demo) gitSource(ctx context.Context) error {
	d.n.say("Nobody declares the repository a second time: driftgate keeps a GitSource for Flux's")
	d.n.say("Kustomization and audits what kustomize-controller applies, from the same artifact, as Flux")
	d.n.say("renders it, whenever Flux applies a revision. Right after Flux's sync, everything is in sync:")
	if err := d.waitSource(ctx, "is Ready at revision "+d.revision()+", everything in sync", func(gs *v1alpha1.GitSource) bool {
		c := gs.Status.Counts
		return sourceReady(gs) && gs.Status.Revision == d.revision() && c.InSync > 0 && c.Drifted+c.Missing == 0
	}); err != nil {
		return err
	}
	_, err := d.r.succeed(ctx, d.kubectl("get", "gitsources"))
	return err
}

// waitSource waits until the GitSource satisfies cond.
func (d *demo) waitSource(ctx context.Context, what string, cond func(*v1alpha1.GitSource) bool) error {
	what = "GitSource " + sourceName + " " + what
	d.n.waiting(what)
	return d.kube.waitFor(ctx, what, func(ctx context.Context) (bool, string) {
		gs, err := d.kube.gitSource(ctx, sourceName)
		if err != nil {
			return false, err.Error()
		}
		return cond(gs), describeSource(gs)
	})
}

// waitEdits waits until the audit has found each named edit in want.
func (d *demo) waitEdits(ctx context.Context, what string, want v1alpha1.BackportState, names ...string) error {
	d.n.waiting(what)
	return d.kube.waitFor(ctx, what, func(ctx context.Context) (bool, string) {
		for _, name := range names {
			e, err := d.kube.edit(ctx, name)
			if err != nil {
				return false, err.Error()
			}
			if !audited(e, want) || (want == v1alpha1.Backported && e.Status.Revision != d.revision()) {
				return false, describeEdit(e)
			}
		}
		return true, ""
	})
}

// backportRequired is step 7.
func (d *demo) backportRequired(ctx context.Context) error {
	d.n.say("The audit compares the live objects with Git. Until Git takes a change or the cluster")
	d.n.say("drops it, the edit stays Required, and the GitSource counts it under BACKPORT:")
	if err := d.waitEdits(ctx, "the audit has checked both edits: Required", v1alpha1.BackportRequired, d.edits.image, d.edits.memory); err != nil {
		return err
	}
	if err := d.waitSource(ctx, "counts 2 edits to backport", func(gs *v1alpha1.GitSource) bool {
		return gs.Status.Counts.BackportRequired == 2
	}); err != nil {
		return err
	}
	for _, c := range []command{d.kubectl("get", "gitsources"), d.kubectl("get", "bge")} {
		if _, err := d.r.succeed(ctx, c); err != nil {
			return err
		}
	}
	return d.sayOpen(ctx, d.edits.image, d.edits.memory)
}

// sayOpen says, for each edit, which of its paths still differ from Git.
func (d *demo) sayOpen(ctx context.Context, names ...string) error {
	for _, name := range names {
		e, err := d.kube.edit(ctx, name)
		if err != nil {
			return err
		}
		d.n.good("%s: %s, open: %s", name, e.Status.Backport, strings.Join(e.Status.OpenPaths, ", "))
	}
	return nil
}

// backport is step 9.
func (d *demo) backport(ctx context.Context) error {
	d.n.say("A pull request would do this; here alice commits the new image and pushes it:")
	file := filepath.Join(d.l.repo(), manifestFile)
	d.n.command(fmt.Sprintf("sed -i 's|%s|%s|' %s", oldImage, newImage, shellQuote(file)), "in-process")
	if err := d.repo.Replace(manifestFile, oldImage, newImage); err != nil {
		return err
	}
	if err := d.commit("git -C "+d.l.repo()+" commit -am", "checkout "+tag(newImage)+" (backport of "+ticket+")"); err != nil {
		return err
	}
	if err := d.push(); err != nil {
		return err
	}
	if err := d.fluxApplies(ctx); err != nil {
		return err
	}
	if err := d.showBackported(ctx); err != nil {
		return err
	}
	d.n.say("The Deployment stays protected, now for the memory edit alone:")
	return d.showProtection(ctx, d.edits.memory)
}

// fluxApplies has Flux fetch the pushed commit now and waits until it is applied.
func (d *demo) fluxApplies(ctx context.Context) error {
	d.n.say("Flux would fetch it within %s; asking now, as `flux reconcile source git %s` does:", fluxInterval, fluxName)
	if _, err := d.requestReconcile(ctx, gitRepositoryResource, "source-controller fetches; kustomize-controller applies the new revision"); err != nil {
		return err
	}
	if err := d.waitApplied(ctx, d.head); err != nil {
		return err
	}
	_, err := d.r.succeed(ctx, d.kubectl("get", fluxResources, "-n", fluxNamespace))
	return err
}

// showBackported waits until the audit has marked the image edit Backported at the commit.
func (d *demo) showBackported(ctx context.Context) error {
	what := fmt.Sprintf("Flux applies %s, the audit fetches it and marks the image edit Backported", d.revision())
	if err := d.waitEdits(ctx, what, v1alpha1.Backported, d.edits.image); err != nil {
		return err
	}
	if _, err := d.r.succeed(ctx, d.kubectl("get", "bge", d.edits.image, "-o",
		"custom-columns=NAME:.metadata.name,BACKPORT:.status.backport,REVISION:.status.revision,RESOLVED:.status.resolvedAt")); err != nil {
		return err
	}
	d.n.good("the image edit is Backported at revision %s, the revision Flux applied", d.revision())
	return nil
}

// revert is step 10.
func (d *demo) revert(ctx context.Context) error {
	d.n.say("%s was not needed after all: alice puts Git's value back with kubectl, still under her grant:", newMemory)
	if _, err := d.r.succeed(ctx, d.setMemory(oldMemory)); err != nil {
		return err
	}
	edits, err := d.kube.ticketEdits(ctx, ticket)
	if err != nil {
		return err
	}
	if d.edits.revert, err = findEdit(edits, memoryPathSuffix, oldMemory); err != nil {
		return err
	}
	d.n.say("The revert is a write under the grant too, so it is recorded (%s);", d.edits.revert)
	d.n.say("driftgate marks it Reverted at once, since it restores Git's value.")
	if err := d.waitEdits(ctx, "the memory edit and its revert are Reverted", v1alpha1.Reverted, d.edits.memory, d.edits.revert); err != nil {
		return err
	}
	if err := d.lifted(ctx); err != nil {
		return err
	}
	return d.showInSync(ctx)
}

// showInSync waits until the GitSource has nothing left to backport, and shows the records.
func (d *demo) showInSync(ctx context.Context) error {
	if err := d.waitSource(ctx, "is back in sync at "+d.revision()+", nothing to backport", func(gs *v1alpha1.GitSource) bool {
		c := gs.Status.Counts
		return gs.Status.Revision == d.revision() && c.Drifted+c.Missing+c.BackportRequired == 0 && !slices.ContainsFunc(
			gs.Status.DriftedObjects, func(o v1alpha1.DriftedObject) bool { return o.Name == deployment })
	}); err != nil {
		return err
	}
	for _, c := range []command{d.kubectl("get", "bge"), d.kubectl("get", "gitsources")} {
		if _, err := d.r.succeed(ctx, c); err != nil {
			return err
		}
	}
	return nil
}
