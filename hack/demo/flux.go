package main

import (
	"context"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/internal/fluxstatus"
)

// How kubectl names the demo's Flux objects, and Flux's reconcile request.
const (
	kustomizationResource = "kustomization"
	gitRepositoryResource = "gitrepository"
	fluxResources         = "gitrepositories,kustomizations"
	// requestedAt is Flux's annotation asking a controller to reconcile now; `flux reconcile`
	// sets it, and the controller reports the value it handled in status.lastHandledReconcileAt.
	requestedAt = "reconcile.fluxcd.io/requestedAt"
)

// waitKustomization waits until the Kustomization's status satisfies cond.
func (d *demo) waitKustomization(ctx context.Context, what string, cond func(fluxstatus.Status) bool) error {
	what = "Kustomization " + fluxNamespace + "/" + fluxName + " " + what
	d.n.waiting(what)
	return d.kube.waitFor(ctx, what, func(ctx context.Context) (bool, string) {
		u, err := d.kube.kustomization(ctx)
		if err != nil {
			return false, err.Error()
		}
		s := fluxstatus.Read(u)
		return cond(s), s.String()
	})
}

// waitApplied waits until Flux has applied the commit h: the Kustomization is Ready at it.
func (d *demo) waitApplied(ctx context.Context, h plumbing.Hash) error {
	rev := fluxstatus.Revision(h)
	return d.waitKustomization(ctx, "is Ready, applied "+rev, func(s fluxstatus.Status) bool {
		return s.Ready && s.Applied == rev
	})
}

// requestReconcile asks Flux to reconcile one of the demo's objects now, as `flux reconcile`
// does, and returns the request's token.
func (d *demo) requestReconcile(ctx context.Context, resource, note string) (string, error) {
	token := time.Now().UTC().Format(time.RFC3339Nano)
	c := d.kubectl("annotate", "--overwrite", resource, fluxName, "-n", fluxNamespace, requestedAt+"="+token)
	c.note = note
	_, err := d.r.succeed(ctx, c)
	return token, err
}

// reconcile has kustomize-controller reconcile the Kustomization now and waits until it has
// handled the request, as `flux reconcile kustomization shop` does.
func (d *demo) reconcile(ctx context.Context) error {
	token, err := d.requestReconcile(ctx, kustomizationResource, "what `flux reconcile kustomization "+fluxName+"` does")
	if err != nil {
		return err
	}
	return d.waitKustomization(ctx, "has handled the request (status.lastHandledReconcileAt), Ready", func(s fluxstatus.Status) bool {
		return s.Handled == token && s.Ready
	})
}
