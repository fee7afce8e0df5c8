package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// fluxRevision is a commit as Flux names the revision it fetched and applied.
func fluxRevision(h plumbing.Hash) string { return branch + "@sha1:" + h.String() }

// fluxStatus is what the demo reads of a Flux object's status.
type fluxStatus struct {
	ready   bool   // condition Ready is True
	message string // condition Ready's message
	applied string // status.lastAppliedRevision (Kustomization)
	handled string // status.lastHandledReconcileAt
}

func readFluxStatus(u *unstructured.Unstructured) fluxStatus {
	var s fluxStatus
	s.applied, _, _ = unstructured.NestedString(u.Object, "status", "lastAppliedRevision")
	s.handled, _, _ = unstructured.NestedString(u.Object, "status", "lastHandledReconcileAt")
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	i := slices.IndexFunc(conditions, func(c any) bool {
		m, _ := c.(map[string]any)
		return m["type"] == "Ready"
	})
	if i >= 0 {
		m, _ := conditions[i].(map[string]any)
		s.ready = m["status"] == "True"
		s.message, _ = m["message"].(string)
	}
	return s
}

func (s fluxStatus) String() string {
	return fmt.Sprintf("Ready %t (%s), last applied %q, last handled request %q", s.ready, s.message, s.applied, s.handled)
}

// waitKustomization waits until the Kustomization's status satisfies cond.
func (d *demo) waitKustomization(ctx context.Context, what string, cond func(fluxStatus) bool) error {
	what = "Kustomization " + fluxNamespace + "/" + fluxName + " " + what
	d.n.waiting(what)
	return d.kube.waitFor(ctx, what, func(ctx context.Context) (bool, string) {
		u, err := d.kube.kustomization(ctx)
		if err != nil {
			return false, err.Error()
		}
		s := readFluxStatus(u)
		return cond(s), s.String()
	})
}

// waitApplied waits until Flux has applied the commit h: the Kustomization is Ready at it.
func (d *demo) waitApplied(ctx context.Context, h plumbing.Hash) error {
	rev := fluxRevision(h)
	return d.waitKustomization(ctx, "is Ready, applied "+rev, func(s fluxStatus) bool {
		return s.ready && s.applied == rev
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
	return d.waitKustomization(ctx, "has handled the request (status.lastHandledReconcileAt), Ready", func(s fluxStatus) bool {
		return s.handled == token && s.ready
	})
}
