package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/protect"

	"github.com/driftgate/driftgate/test/benchkit"
)

// backportSample is one push -> Backported measurement.
type backportSample struct {
	Image        string  `json:"image"`
	Commit       string  `json:"commit"`
	Delay        float64 `json:"delaySeconds"`          // random wait before the push
	Push         float64 `json:"pushSeconds"`           // the git push itself
	ToRevision   float64 `json:"toGitSourceRevision"`   // push done -> GitSource status at the commit
	ToBackported float64 `json:"toBackportedSeconds"`   // push done -> the edit Backported at the commit
	Edit         string  `json:"edit"`                  // the BreakGlassEdit
	Lifted       float64 `json:"protectionLiftedAfter"` // Backported -> Flux's reconcile switch removed
	Load1        float64 `json:"load1"`                 // 1-minute load average at the push
}

const breakGlassTicket = "BENCH-1"

// measureBackports has alice, under an approved grant, change the Deployment's image, then
// pushes the same image to Git and times push -> Backported.
func (b *bench) measureBackports(ctx context.Context) error {
	fmt.Fprintf(b.out, "\nbreak-glass: alice requests a grant for deployments.apps in %s, bob approves\n", appNamespace)
	grant, err := b.grant(ctx, appNamespace, breakGlassTicket, "fluxbench: time from a Git push to Backported",
		func(ctx context.Context) error { return b.setImage(ctx, firstImage+"-dryrun", true) })
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "grant %s Active; GitSource interval %s; each push waits a random 0-%s first, so that it lands at a random point of the audit's fetch cycle\n",
		grant, b.o.gsInterval, b.o.gsInterval)
	fmt.Fprintf(b.out, "%-3s %-40s %10s %14s %14s %6s\n", "#", "image", "push", "->GitSource", "->Backported", "load1")
	current := firstImage
	for i := range b.o.backports {
		image := fmt.Sprintf("registry.example.com/checkout:v1.3.%d", i)
		s, err := b.backportOnce(ctx, current, image)
		if err != nil {
			return err
		}
		current = image
		b.res.Backports = append(b.res.Backports, s)
		fmt.Fprintf(b.out, "%-3d %-40s %10s %14s %14s %6.2f\n", i+1, image, secs(s.Push), secs(s.ToRevision), secs(s.ToBackported), s.Load1)
	}
	return nil
}

// driftgateCLI runs the driftgate CLI against the cluster.
func (b *bench) driftgateCLI(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.driftgateBin(), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+b.kubeconfig())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("driftgate %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// grant has alice request break-glass access to deployments.apps in namespace, bob approve it,
// and waits until it is Active and alice's dry run (tryWrite) passes driftgate.
func (b *bench) grant(ctx context.Context, namespace, ticket, reason string, tryWrite func(context.Context) error) (string, error) {
	out, err := b.driftgateCLI(ctx, "breakglass", "request", "--context", "alice", "-n", namespace,
		"--resource", "deployments.apps", "--for", "2h", "--ticket", ticket, "--reason", reason)
	if err != nil {
		return "", err
	}
	_, after, found := strings.Cut(out, "breakglassgrant/")
	name := strings.Fields(after)
	if !found || len(name) == 0 {
		return "", fmt.Errorf("no breakglassgrant/NAME in: %s", out)
	}
	if _, err := b.driftgateCLI(ctx, "breakglass", "approve", name[0], "--context", "bob", "--comment", "fluxbench"); err != nil {
		return "", err
	}
	return name[0], b.waitFor(ctx, "grant "+name[0]+" is Active and alice may write", func(ctx context.Context) (bool, string) {
		var g v1alpha1.BreakGlassGrant
		if err := b.c.Get(ctx, types.NamespacedName{Name: name[0]}, &g); err != nil {
			return false, err.Error()
		}
		if g.Status.Phase != v1alpha1.GrantActive {
			return false, string(g.Status.Phase)
		}
		err := tryWrite(ctx)
		return err == nil, fmt.Sprintf("alice's dry run: %v", err)
	})
}

// setImage is alice's `kubectl set image` (a strategic merge patch, field manager kubectl-set),
// with her own client certificate.
func (b *bench) setImage(ctx context.Context, image string, dryRun bool) error {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, container, image)
	d := &appsv1.Deployment{}
	d.Namespace, d.Name = appNamespace, deployment
	opts := []client.PatchOption{client.FieldOwner("kubectl-set")}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	return b.alice.Patch(ctx, d, client.RawPatch(types.StrategicMergePatchType, patch), opts...)
}

func (b *bench) backportOnce(ctx context.Context, oldImage, image string) (backportSample, error) {
	s := backportSample{Image: image}
	if err := b.setImage(ctx, image, false); err != nil {
		return s, fmt.Errorf("alice's edit under the grant: %w", err)
	}
	// The record of the edit, Required once the audit has seen it, and the Deployment protected.
	if err := b.waitFor(ctx, "the edit to "+image+" is Required and protected", func(ctx context.Context) (bool, string) {
		e, err := b.findEdit(ctx, image)
		if err != nil || e == nil {
			return false, fmt.Sprintf("edit not found (%v)", err)
		}
		s.Edit = e.Name
		if e.Status.ObservedGeneration == 0 || e.Status.Backport != v1alpha1.BackportRequired {
			return false, fmt.Sprintf("edit %s %q", e.Name, e.Status.Backport)
		}
		var d appsv1.Deployment
		if err := b.c.Get(ctx, types.NamespacedName{Namespace: appNamespace, Name: deployment}, &d); err != nil {
			return false, err.Error()
		}
		return d.Annotations[protect.FluxReconcile] == "disabled", "annotations " + fmt.Sprint(d.Annotations)
	}); err != nil {
		return s, err
	}
	if err := b.repo.Replace(manifestFile, oldImage, image); err != nil {
		return s, err
	}
	h, err := b.repo.CommitAll("checkout " + image + " (backport of " + breakGlassTicket + ")")
	if err != nil {
		return s, err
	}
	s.Commit = h.String()
	delay := time.Duration(rand.Int64N(int64(b.o.gsInterval)))
	s.Delay = delay.Seconds()
	select {
	case <-ctx.Done():
		return s, ctx.Err()
	case <-time.After(delay):
	}
	s.Load1 = benchkit.LoadAvg()[0]
	start := time.Now()
	if err := b.push(); err != nil {
		return s, err
	}
	pushed := time.Now()
	s.Push = pushed.Sub(start).Seconds()
	// Both the edit and the GitSource's status are polled every 50 ms until each shows the commit.
	var backported time.Time
	var revisionSeen bool
	err = waitEvery(ctx, b.o.timeout, 50*time.Millisecond, "the edit is Backported at "+s.Commit[:12], func(ctx context.Context) (bool, string) {
		if !revisionSeen {
			var gs v1alpha1.GitSource
			if err := b.c.Get(ctx, types.NamespacedName{Name: sourceName}, &gs); err == nil &&
				gs.Status.Revision != "" && strings.HasPrefix(s.Commit, gs.Status.Revision) {
				s.ToRevision, revisionSeen = time.Since(pushed).Seconds(), true
			}
		}
		if backported.IsZero() {
			var e v1alpha1.BreakGlassEdit
			if err := b.c.Get(ctx, types.NamespacedName{Name: s.Edit}, &e); err != nil {
				return false, err.Error()
			}
			if e.Status.Backport == v1alpha1.Backported && e.Status.Revision != "" && strings.HasPrefix(s.Commit, e.Status.Revision) {
				backported = time.Now()
				s.ToBackported = backported.Sub(pushed).Seconds()
			}
		}
		return revisionSeen && !backported.IsZero(), fmt.Sprintf("GitSource at the commit: %t; edit Backported: %t", revisionSeen, !backported.IsZero())
	})
	if err != nil {
		return s, err
	}
	err = b.waitFor(ctx, "the protection is lifted", func(ctx context.Context) (bool, string) {
		var d appsv1.Deployment
		if err := b.c.Get(ctx, types.NamespacedName{Namespace: appNamespace, Name: deployment}, &d); err != nil {
			return false, err.Error()
		}
		return d.Annotations[protect.FluxReconcile] == "", fmt.Sprint(d.Annotations)
	})
	s.Lifted = time.Since(backported).Seconds()
	return s, err
}

// findEdit is the ticket's record of the write that set the image to image.
func (b *bench) findEdit(ctx context.Context, image string) (*v1alpha1.BreakGlassEdit, error) {
	var list v1alpha1.BreakGlassEditList
	if err := b.c.List(ctx, &list, client.MatchingLabels{"driftgate.io/ticket": breakGlassTicket}); err != nil {
		return nil, err
	}
	for i := range list.Items {
		for _, c := range list.Items[i].Spec.Changes {
			var v string
			if c.New != nil && json.Unmarshal(c.New.Raw, &v) == nil && strings.HasSuffix(c.Path, ".image") && v == image {
				return &list.Items[i], nil
			}
		}
	}
	return nil, nil
}
