package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// What driftgate says, which the story checks it said.
const (
	deniedByDriftgate = `admission webhook "validate.driftgate.io" denied the request`
	ownGrant          = "approves their own grant"
	grantPrefix       = "breakglassgrant/"
)

// denied is step 4.
func (d *demo) denied(ctx context.Context) error {
	d.n.say("%s crashes on the new payment API. Alice wants %s live now, and tries kubectl:", tag(oldImage), tag(newImage))
	if _, err := d.r.refused(ctx, d.setImage(), deniedByDriftgate); err != nil {
		return err
	}
	d.n.good("denied: Flux owns the Deployment, and alice is neither Flux nor holding a break-glass grant")
	d.n.say("Flux's own writes still go through: it reconciles every %s, and once more now, when asked:", fluxInterval)
	// A requested reconcile also starts Flux's interval afresh, so alice's edits in step 6 land
	// seconds before Flux's next periodic run. driftgate protects an edit only once its write is
	// live and the audit has seen it (a fraction of a second); a reconcile in that gap would undo
	// the fix before it is protected.
	return d.reconcile(ctx)
}

func (d *demo) setImage() command {
	return d.kubectl("set", "image", "deployment/"+deployment, container+"="+newImage, "-n", namespace, "--as", requester)
}

func (d *demo) setMemory(limit string) command {
	return d.kubectl("set", "resources", "deployment/"+deployment, "-c", container, "--limits=memory="+limit, "-n", namespace, "--as", requester)
}

// breakGlass is step 5.
func (d *demo) breakGlass(ctx context.Context) error {
	d.n.say("The denial says how: alice requests a grant for the incident, for one hour, in namespace %s only:", namespace)
	out, err := d.r.succeed(ctx, d.driftgate("breakglass", "request", "--as", requester, "-n", namespace,
		"--resource", "deployments.apps", "--for", "1h", "--ticket", ticket, "--reason", reason))
	if err != nil {
		return err
	}
	if d.grant, err = grantName(out); err != nil {
		return err
	}
	d.n.say("Nobody approves their own grant:")
	if _, err := d.r.refused(ctx, d.driftgate("breakglass", "approve", d.grant, "--as", requester), ownGrant); err != nil {
		return err
	}
	d.n.say("Bob is an approver (group %s):", approverGrp)
	if _, err := d.r.succeed(ctx, d.driftgate("breakglass", "approve", d.grant, "--as", approver, "--as-group", approverGrp, "--comment", approval)); err != nil {
		return err
	}
	if err := d.waitGrantActive(ctx); err != nil {
		return err
	}
	_, err = d.r.succeed(ctx, d.driftgate("breakglass", "list"))
	return err
}

// grantName finds the grant's name in `breakglass request`'s output.
func grantName(out string) (string, error) {
	_, after, found := strings.Cut(out, grantPrefix)
	if name := strings.Fields(after); found && len(name) > 0 {
		return name[0], nil
	}
	return "", fmt.Errorf("no %sNAME in the output of breakglass request: %s", grantPrefix, lastLine(out))
}

// waitGrantActive waits until the grant is Active and driftgate's webhook lets alice write.
func (d *demo) waitGrantActive(ctx context.Context) error {
	d.n.waiting(fmt.Sprintf("grant %s is Active and driftgate lets alice write (a server-side dry run, not recorded)", d.grant))
	return d.kube.waitFor(ctx, "grant "+d.grant+" is Active and alice may write", func(ctx context.Context) (bool, string) {
		g, err := d.kube.grant(ctx, d.grant)
		if err != nil {
			return false, err.Error()
		}
		if g.Status.Phase != v1alpha1.GrantActive {
			return false, fmt.Sprintf("grant %s is %q", d.grant, g.Status.Phase)
		}
		if err := d.kube.mayWrite(ctx, requester, checkoutKey(), imagePatch()); err != nil {
			return false, "alice's dry run: " + err.Error()
		}
		return true, ""
	})
}

// emergencyEdits is step 6.
func (d *demo) emergencyEdits(ctx context.Context) error {
	d.n.say("Alice rolls out the fix, and raises the memory limit while at it:")
	for _, c := range []command{d.setImage(), d.setMemory(newMemory)} {
		out, err := d.r.succeed(ctx, c)
		if err != nil {
			return err
		}
		if !strings.Contains(out, "Warning: driftgate") {
			return fmt.Errorf("`%s` was allowed without driftgate's warning", c.line())
		}
	}
	d.n.say("Each write under the grant left a BreakGlassEdit record, made before the write was admitted:")
	if _, err := d.r.succeed(ctx, d.kubectl("get", "breakglassedits")); err != nil {
		return err
	}
	return d.findEdits(ctx)
}

// findEdits tells the image edit from the memory edit.
func (d *demo) findEdits(ctx context.Context) error {
	edits, err := d.kube.ticketEdits(ctx, ticket)
	if err != nil {
		return err
	}
	if d.edits.image, err = findEdit(edits, imagePathSuffix, newImage); err != nil {
		return err
	}
	if d.edits.memory, err = findEdit(edits, memoryPathSuffix, newMemory); err != nil {
		return err
	}
	d.n.good("the image edit is %s", d.edits.image)
	d.n.good("the memory edit is %s", d.edits.memory)
	return nil
}
