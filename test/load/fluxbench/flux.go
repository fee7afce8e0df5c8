package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/driftgate/driftgate/api/v1alpha1"

	"github.com/driftgate/driftgate/internal/gitwork"

	"github.com/driftgate/driftgate/internal/fluxstatus"
)

// The app and Flux's objects, as in the demo (hack/demo/story.go): examples/checkout's labels name
// the Kustomization flux-system/shop.
const (
	fluxNamespace = "flux-system"
	fluxName      = "shop"
	repoName      = "shop"
	appDir        = "checkout"
	appNamespace  = "shop"
	deployment    = "checkout"
	container     = "app"
	manifestFile  = appDir + "/deployment.yaml"
	firstImage    = "registry.example.com/checkout:v1.2.3"
	sourceName    = "shop"
	// fluxInterval is long so that only the reconciles fluxbench requests run while it measures.
	fluxInterval = "1h"
	requestedAt  = "reconcile.fluxcd.io/requestedAt"
)

var (
	kustomizationGVR = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	gitRepositoryGVR = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
)

func fluxObjects(url string) []*unstructured.Unstructured {
	repo := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": fluxName, "namespace": fluxNamespace},
		"spec": map[string]any{
			"url": url, "ref": map[string]any{"branch": gitwork.Branch}, "interval": fluxInterval,
		},
	}}
	ks := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": fluxName, "namespace": fluxNamespace},
		"spec": map[string]any{
			"sourceRef": map[string]any{"kind": "GitRepository", "name": fluxName},
			"path":      "./" + appDir, "interval": fluxInterval, "prune": true, "timeout": "1m",
		},
	}}
	return []*unstructured.Unstructured{repo, ks}
}

// setupFlux pushes the app, points driftgate's audit and Flux at it, and records what Flux's
// first sync sent through driftgate.
func (b *bench) setupFlux(ctx context.Context) error {
	h, err := b.pushApp()
	if err != nil {
		return err
	}
	if err := b.createGitSource(ctx); err != nil {
		return err
	}

	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, u := range fluxObjects(b.gitURL) {
		gvr := gitRepositoryGVR
		if u.GetKind() == "Kustomization" {
			gvr = kustomizationGVR
		}
		if _, err := b.dyn.Resource(gvr).Namespace(fluxNamespace).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating %s: %w", u.GetKind(), err)
		}
	}
	if err := b.waitApplied(ctx, h); err != nil {
		return err
	}
	took := time.Since(start)
	// The first sync is several reconciles (the finalizer is added first); wait until the
	// controller's count stops moving before reading the counters.
	after, err := b.settledSnapshot(ctx)
	if err != nil {
		return err
	}
	d := diff(before, after)
	b.res.FirstSync = firstSync{Wall: took.Seconds(), delta: d}
	fmt.Fprintf(b.out, "Flux applied %s in %s: %.0f reconciles, %.0f admission requests to driftgate (by writer: %v), %.0f denied\n",
		fluxstatus.Revision(h), took.Round(time.Millisecond), d.Reconciles, d.APIWebhookCalls, d.Decisions, d.Denied)
	return b.waitGitSourceInSync(ctx)
}

// pushApp pushes --examples to the cluster's Git server as appDir and returns the commit.
func (b *bench) pushApp() (plumbing.Hash, error) {
	b.gitURL = fmt.Sprintf("http://127.0.0.1:%d/%s.git", b.ports.GitServer, repoName)
	if err := gitwork.InitBare(filepath.Join(b.clusterDir(), "repos", repoName+".git")); err != nil {
		return plumbing.ZeroHash, err
	}
	dir := filepath.Join(b.o.dir, "repo")
	if err := os.RemoveAll(dir); err != nil {
		return plumbing.ZeroHash, err
	}
	var err error
	if b.repo, err = gitwork.Init(dir, b.gitURL, "fluxbench"); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := b.repo.CopyIn(b.o.examples, appDir); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := b.repo.CommitAll("shop: checkout v1.2.3")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := b.push(); err != nil {
		return plumbing.ZeroHash, err
	}
	fmt.Fprintf(b.out, "pushed %s to %s\n", b.o.examples, b.gitURL)
	return h, nil
}

// createGitSource points driftgate's audit at the app in Git.
func (b *bench) createGitSource(ctx context.Context) error {
	gs := &v1alpha1.GitSource{
		ObjectMeta: metav1.ObjectMeta{Name: sourceName},
		Spec: v1alpha1.GitSourceSpec{URL: b.gitURL, Revision: gitwork.Branch, Path: appDir,
			Interval: metav1.Duration{Duration: b.o.gsInterval}},
	}
	if err := b.c.Create(ctx, gs); err != nil {
		return fmt.Errorf("creating the GitSource: %w", err)
	}
	return nil
}

func (b *bench) waitGitSourceInSync(ctx context.Context) error {
	return b.waitFor(ctx, "GitSource "+sourceName+" is Ready and in sync", func(ctx context.Context) (bool, string) {
		var gs v1alpha1.GitSource
		if err := b.c.Get(ctx, types.NamespacedName{Name: sourceName}, &gs); err != nil {
			return false, err.Error()
		}
		c := gs.Status.Counts
		return gs.Status.Revision != "" && c.InSync > 0 && c.Drifted+c.Missing == 0,
			fmt.Sprintf("revision %q, counts %+v", gs.Status.Revision, c)
	})
}

// settledSnapshot reads the counters once the controller's count of reconciles (Argo CD: syncs
// and comparisons) has not moved for a second.
func (b *bench) settledSnapshot(ctx context.Context) (snapshot, error) {
	last, err := b.snapshot(ctx)
	if err != nil {
		return last, err
	}
	for range 30 {
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(time.Second):
		}
		s, err := b.snapshot(ctx)
		if err != nil {
			return s, err
		}
		if s.reconcileCount == last.reconcileCount && s.argo.comparisons == last.argo.comparisons {
			return s, nil
		}
		last = s
	}
	return last, nil
}

func (b *bench) kustomization(ctx context.Context) (*unstructured.Unstructured, error) {
	return b.dyn.Resource(kustomizationGVR).Namespace(fluxNamespace).Get(ctx, fluxName, metav1.GetOptions{})
}

func (b *bench) waitApplied(ctx context.Context, h plumbing.Hash) error {
	rev := fluxstatus.Revision(h)
	return b.waitFor(ctx, "the Kustomization is Ready at "+rev, func(ctx context.Context) (bool, string) {
		u, err := b.kustomization(ctx)
		if err != nil {
			return false, err.Error()
		}
		s := fluxstatus.Read(u)
		return s.Ready && s.Applied == rev, fmt.Sprintf("%+v", s)
	})
}

// reconcileFlux requests one reconcile of the Kustomization, as `flux reconcile kustomization
// shop` does, and returns the wall time from the request to the watch event that shows it
// handled and Ready.
func (b *bench) reconcileFlux(ctx context.Context) (time.Duration, error) {
	ks := b.dyn.Resource(kustomizationGVR).Namespace(fluxNamespace)
	cur, err := ks.Get(ctx, fluxName, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	w, err := ks.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + fluxName, ResourceVersion: cur.GetResourceVersion()})
	if err != nil {
		return 0, fmt.Errorf("watching the Kustomization: %w", err)
	}
	defer w.Stop()
	token := time.Now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, requestedAt, token)
	start := time.Now()
	if _, err := ks.Patch(ctx, fluxName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return 0, fmt.Errorf("requesting a reconcile: %w", err)
	}
	timeout := time.After(b.o.timeout)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return 0, fmt.Errorf("the watch on the Kustomization ended before it handled %s", token)
			}
			if ev.Type == watch.Error {
				return 0, fmt.Errorf("watch error: %v", ev.Object)
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			if s := fluxstatus.Read(u); s.Handled == token && s.Ready {
				return time.Since(start), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("the Kustomization did not handle %s within %s", token, b.o.timeout)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// push sends the repository's commits to the Git server.
func (b *bench) push() error {
	_, err := b.repo.Push()
	return err
}
