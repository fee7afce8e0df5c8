package main

import (
	"context"
	"fmt"
	"time"

	"github.com/driftgate/driftgate/test/benchkit"
)

// sample is one measured reconcile (Argo CD: sync).
type sample struct {
	Arm   string  `json:"arm"` // "on": driftgate's webhook registered; "off": removed
	Index int     `json:"index"`
	Wall  float64 `json:"wallSeconds"` // requestedAt set -> watch shows it handled and Ready (Argo CD: operation set -> Succeeded)
	Load1 float64 `json:"load1"`       // 1-minute load average just before
	// Argo CD: the operation's finishedAt - startedAt, whole seconds (the API's resolution).
	StartedToFinished *float64 `json:"startedToFinishedSeconds,omitempty"`
	delta
}

// schedule is the order of the arms: ABBA (on off off on on off ...), so that a trend in the
// machine's load falls on both arms alike.
func schedule(n int) []string {
	var out []string
	for i := range n {
		if i%2 == 0 {
			out = append(out, "on", "off")
		} else {
			out = append(out, "off", "on")
		}
	}
	return out
}

func (b *bench) measureReconciles(ctx context.Context) error {
	if err := b.saveWebhook(ctx); err != nil {
		return err
	}
	defer b.restoreWebhook(context.WithoutCancel(ctx))
	what := "reconciles"
	if b.argo() {
		what = "syncs"
	}
	fmt.Fprintf(b.out, "\nwarm-up: %d %s, webhook on\n", b.o.warmup, what)
	for range b.o.warmup {
		var s sample
		if err := b.reconcile(ctx, &s); err != nil {
			return err
		}
		time.Sleep(b.o.settle)
	}
	on := true
	order := schedule(b.o.reconciles)
	fmt.Fprintf(b.out, "measuring %d %s, %d with driftgate's webhook registered and %d without, in ABBA order\n",
		len(order), what, b.o.reconciles, b.o.reconciles)
	fmt.Fprintf(b.out, "%-4s %-4s %10s %10s %8s %8s %7s %11s %6s\n", "#", "arm", what[:len(what)-1], "wall", "requests", "gitops", "denied", "apiserver", "load1")
	for i, arm := range order {
		if err := b.enterArm(ctx, arm, &on); err != nil {
			return err
		}
		s, err := b.measureOne(ctx, arm, i)
		if err != nil {
			return err
		}
		b.res.Reconciles = append(b.res.Reconciles, s)
		fmt.Fprintf(b.out, "%-4d %-4s %10s %10s %8.0f %8.0f %7.0f %11s %6.2f", i+1, arm, secs(s.ReconcileSeconds), secs(s.Wall),
			s.APIWebhookCalls, s.Decisions["gitops"], s.Denied, secs(s.APIWebhookSecs), s.Load1)
		if b.argo() {
			fmt.Fprintf(b.out, "  comparisons %.0f; writes %s", s.Comparisons, writesText(s.Writes, 1))
		}
		fmt.Fprintln(b.out)
	}
	if !on {
		return b.setWebhook(ctx, true)
	}
	return nil
}

// enterArm switches the webhook on or off for arm unless *on says it is already, and waits
// --settle.
func (b *bench) enterArm(ctx context.Context, arm string, on *bool) error {
	if want := arm == "on"; want != *on {
		if err := b.setWebhook(ctx, want); err != nil {
			return err
		}
		*on = want
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(b.o.settle):
		return nil
	}
}

func (b *bench) measureOne(ctx context.Context, arm string, i int) (sample, error) {
	s := sample{Arm: arm, Index: i, Load1: benchkit.LoadAvg()[0]}
	before, err := b.snapshot(ctx)
	if err != nil {
		return s, err
	}
	if err := b.reconcile(ctx, &s); err != nil {
		return s, err
	}
	// kustomize-controller records its metric as the reconcile returns, around the status patch
	// the watch saw; wait until the count has moved. Argo CD: until it has counted the sync,
	// logged the operation and compared the Application with Git after it.
	var after snapshot
	what, limit := "kustomize-controller counts the reconcile", 10*time.Second
	if b.argo() {
		what, limit = "Argo CD counts the sync and compares the Application after it", b.o.timeout
	}
	err = waitEvery(ctx, limit, 50*time.Millisecond, what, func(ctx context.Context) (bool, string) {
		after, err = b.snapshot(ctx)
		if err != nil {
			return false, err.Error()
		}
		if b.argo() {
			return argoCounted(before, after)
		}
		return after.reconcileCount > before.reconcileCount, fmt.Sprintf("count %v", after.reconcileCount)
	})
	if err != nil {
		return s, err
	}
	if b.argo() {
		// A sync sets off more than one comparison (the one Argo CD requests when the sync ends,
		// others for the events of what it changed); with server-side diff each may send dry
		// runs through admission. The window ends when none has run for a second.
		if after, err = b.settledSnapshot(ctx); err != nil {
			return s, err
		}
	}
	s.delta = diff(before, after)
	if s.Reconciles != 1 {
		return s, fmt.Errorf("reconcile %d (%s): the controller finished %.0f reconciles (syncs), not 1: something else ran", i+1, arm, s.Reconciles)
	}
	if b.argo() && s.Operations != 1 {
		return s, fmt.Errorf("sync %d (%s): Argo CD logged %.0f operations, not 1", i+1, arm, s.Operations)
	}
	if arm == "off" && (s.APIWebhookCalls != 0 || s.HandlerRequests != 0) {
		return s, fmt.Errorf("reconcile %d: the webhook was off, yet the API server called driftgate %.0f times", i+1, s.APIWebhookCalls)
	}
	return s, nil
}

func secs(v float64) string {
	return time.Duration(v * float64(time.Second)).Round(10 * time.Microsecond).String()
}
