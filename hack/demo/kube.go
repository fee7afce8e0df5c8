package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// pollInterval is how often a wait looks again.
const pollInterval = 250 * time.Millisecond

// kube reads the cluster for the demo's waits, as the admin. What the story shows goes through
// kubectl and the driftgate CLI instead.
type kube struct {
	admin   *rest.Config
	c       client.Client
	timeout time.Duration // how long each wait may take
}

func newKube(kubeconfig string, timeout time.Duration) (*kube, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", kubeconfig, err)
	}
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	return &kube{admin: cfg, c: c, timeout: timeout}, nil
}

func newClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building the client's scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building the client's scheme: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.Host, err)
	}
	return c, nil
}

// waitFor polls cond until it holds; it gives up after k.timeout, saying what cond last saw.
func (k *kube) waitFor(ctx context.Context, what string, cond func(context.Context) (bool, string)) error {
	deadline := time.Now().Add(k.timeout)
	for {
		done, seen := cond(ctx)
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %s waiting until %s (last seen: %s)", k.timeout, what, seen)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting until %s: %w", what, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

func (k *kube) gitSource(ctx context.Context, name string) (*v1alpha1.GitSource, error) {
	gs := &v1alpha1.GitSource{}
	if err := k.c.Get(ctx, client.ObjectKey{Name: name}, gs); err != nil {
		return nil, fmt.Errorf("reading GitSource %s: %w", name, err)
	}
	return gs, nil
}

func (k *kube) grant(ctx context.Context, name string) (*v1alpha1.BreakGlassGrant, error) {
	g := &v1alpha1.BreakGlassGrant{}
	if err := k.c.Get(ctx, client.ObjectKey{Name: name}, g); err != nil {
		return nil, fmt.Errorf("reading grant %s: %w", name, err)
	}
	return g, nil
}

// ticketEdits are the records labelled with the ticket.
func (k *kube) ticketEdits(ctx context.Context, ticket string) ([]v1alpha1.BreakGlassEdit, error) {
	var list v1alpha1.BreakGlassEditList
	if err := k.c.List(ctx, &list, client.MatchingLabels{"driftgate.io/ticket": ticket}); err != nil {
		return nil, fmt.Errorf("listing the edits of %s: %w", ticket, err)
	}
	return list.Items, nil
}

func (k *kube) edit(ctx context.Context, name string) (*v1alpha1.BreakGlassEdit, error) {
	e := &v1alpha1.BreakGlassEdit{}
	if err := k.c.Get(ctx, client.ObjectKey{Name: name}, e); err != nil {
		return nil, fmt.Errorf("reading edit %s: %w", name, err)
	}
	return e, nil
}

func (k *kube) deployment(ctx context.Context) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	if err := k.c.Get(ctx, checkoutKey(), d); err != nil {
		return nil, fmt.Errorf("reading Deployment %s/%s: %w", namespace, deployment, err)
	}
	return d, nil
}

// kustomization reads the demo's Flux Kustomization.
func (k *kube) kustomization(ctx context.Context) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"})
	if err := k.c.Get(ctx, client.ObjectKey{Namespace: fluxNamespace, Name: fluxName}, u); err != nil {
		return nil, fmt.Errorf("reading Kustomization %s/%s: %w", fluxNamespace, fluxName, err)
	}
	return u, nil
}

// mayWrite asks, with a server-side dry run that leaves no record, whether user may patch the
// Deployment: nil when the API server and driftgate would admit it.
func (k *kube) mayWrite(ctx context.Context, user string, key types.NamespacedName, patch []byte) error {
	cfg := rest.CopyConfig(k.admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	d := &appsv1.Deployment{}
	d.Namespace, d.Name = key.Namespace, key.Name
	return c.Patch(ctx, d, client.RawPatch(types.StrategicMergePatchType, patch), client.DryRunAll)
}
