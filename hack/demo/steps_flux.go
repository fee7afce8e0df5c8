package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/driftgate/driftgate/protect"
)

// selfHeal is step 8.
func (d *demo) selfHeal(ctx context.Context) error {
	d.n.say("Flux's kustomize-controller reconciles every %s with server-side apply: it would put Git's image", fluxInterval)
	d.n.say("and memory limit back over alice's fix, and the audit would then find her edits Reverted while")
	d.n.say("the fix is gone. While an edit is Required, driftgate sets Flux's own per-object switch on the")
	d.n.say("Deployment, saying for which edits and ticket (people may not set or remove it):")
	if err := d.showProtection(ctx, d.edits.image, d.edits.memory); err != nil {
		return err
	}
	d.n.say("Flux reconciles %d times now, rather than every %s; each time alice's fix is still live:", reconciles, fluxInterval)
	for range reconciles {
		if err := d.reconcile(ctx); err != nil {
			return err
		}
		if err := d.showLive(ctx, newImage, newMemory); err != nil {
			return err
		}
	}
	d.n.good("alice's fix survived %d reconciles by Flux", reconciles)
	return nil
}

// lifted shows the protection gone once no edit of the Deployment is Required, and Flux
// reconciling it again.
func (d *demo) lifted(ctx context.Context) error {
	d.n.say("No edit of the Deployment is Required any more, so driftgate lifts the switch:")
	if err := d.showProtection(ctx); err != nil {
		return err
	}
	d.n.say("Flux reconciles the Deployment again, and finds it as Git has it:")
	if err := d.reconcile(ctx); err != nil {
		return err
	}
	return d.showLive(ctx, newImage, oldMemory)
}

// showProtection waits until the Deployment is protected for exactly the named edits (none:
// not protected) and shows its protection annotations.
func (d *demo) showProtection(ctx context.Context, edits ...string) error {
	what := "the Deployment carries no protection"
	if len(edits) > 0 {
		what = fmt.Sprintf("driftgate protects the Deployment for %s of %s", count(len(edits), "edit"), ticket)
	}
	d.n.waiting(what)
	if err := d.kube.waitFor(ctx, what, func(ctx context.Context) (bool, string) {
		dep, err := d.kube.deployment(ctx)
		if err != nil {
			return false, err.Error()
		}
		return protectedFor(dep, edits), fmt.Sprintf("annotations %v", dep.Annotations)
	}); err != nil {
		return err
	}
	_, err := d.r.succeed(ctx, d.kubectl("get", "deployment", deployment, "-n", namespace, "-o", "custom-columns="+
		annotationColumn("FLUX-RECONCILE", protect.FluxReconcile)+","+
		annotationColumn("PROTECTED-TICKETS", protect.ProtectedTickets)+","+
		annotationColumn("PROTECTED-EDITS", protect.ProtectedEdits)))
	return err
}

// protectedFor reports whether the Deployment's protection annotations name exactly edits, of
// the ticket; with no edits, whether it has none of them.
func protectedFor(dep *appsv1.Deployment, edits []string) bool {
	a := dep.Annotations
	if len(edits) == 0 {
		return a[protect.FluxReconcile] == "" && a[protect.ProtectedEdits] == "" && a[protect.ProtectedTickets] == ""
	}
	sorted := slices.Sorted(slices.Values(edits))
	return a[protect.FluxReconcile] == "disabled" && a[protect.ProtectedTickets] == ticket &&
		a[protect.ProtectedEdits] == strings.Join(sorted, ",")
}

// annotationColumn is a custom-columns column of an annotation (dots in its key escaped).
func annotationColumn(header, key string) string {
	return header + ":.metadata.annotations." + strings.ReplaceAll(key, ".", `\.`)
}

// showLive shows the Deployment's image and memory limit, and fails unless they are these.
func (d *demo) showLive(ctx context.Context, image, memory string) error {
	if _, err := d.r.succeed(ctx, d.kubectl("get", "deployment", deployment, "-n", namespace, "-o",
		"custom-columns=IMAGE:.spec.template.spec.containers[0].image,MEMORY:.spec.template.spec.containers[0].resources.limits.memory")); err != nil {
		return err
	}
	dep, err := d.kube.deployment(ctx)
	if err != nil {
		return err
	}
	if len(dep.Spec.Template.Spec.Containers) == 0 {
		return fmt.Errorf("the Deployment %s/%s has no containers", namespace, deployment)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if got := c.Resources.Limits.Memory().String(); c.Image != image || got != memory {
		return fmt.Errorf("the Deployment runs %s with memory limit %s, want %s and %s", c.Image, got, image, memory)
	}
	return nil
}

// count is "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
