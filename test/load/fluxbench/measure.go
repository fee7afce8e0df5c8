package main

import (
	"context"
	"fmt"
	"time"
)

// sample is one measured reconcile.
type sample struct {
	Arm   string  `json:"arm"` // "on": driftgate's webhook registered; "off": removed
	Index int     `json:"index"`
	Wall  float64 `json:"wallSeconds"` // requestedAt set -> watch shows it handled and Ready
	Load1 float64 `json:"load1"`       // 1-minute load average just before
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
	fmt.Fprintf(b.out, "\nwarm-up: %d reconciles, webhook on\n", b.o.warmup)
	for range b.o.warmup {
		if _, err := b.reconcile(ctx); err != nil {
			return err
		}
		time.Sleep(b.o.settle)
	}
	on := true
	order := schedule(b.o.reconciles)
	fmt.Fprintf(b.out, "measuring %d reconciles, %d with driftgate's webhook registered and %d without, in ABBA order\n",
		len(order), b.o.reconciles, b.o.reconciles)
	fmt.Fprintf(b.out, "%-4s %-4s %10s %10s %8s %8s %7s %11s %6s\n", "#", "arm", "reconcile", "wall", "requests", "gitops", "denied", "apiserver", "load1")
	for i, arm := range order {
		if want := arm == "on"; want != on {
			if err := b.setWebhook(ctx, want); err != nil {
				return err
			}
			on = want
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(b.o.settle):
		}
		s, err := b.measureOne(ctx, arm, i)
		if err != nil {
			return err
		}
		b.res.Reconciles = append(b.res.Reconciles, s)
		fmt.Fprintf(b.out, "%-4d %-4s %10s %10s %8.0f %8.0f %7.0f %11s %6.2f\n", i+1, arm, secs(s.ReconcileSeconds), secs(s.Wall),
			s.APIWebhookCalls, s.Decisions["gitops"], s.Denied, secs(s.APIWebhookSecs), s.Load1)
	}
	if !on {
		return b.setWebhook(ctx, true)
	}
	return nil
}

func (b *bench) measureOne(ctx context.Context, arm string, i int) (sample, error) {
	s := sample{Arm: arm, Index: i, Load1: loadAvg()[0]}
	before, err := b.snapshot(ctx)
	if err != nil {
		return s, err
	}
	wall, err := b.reconcile(ctx)
	if err != nil {
		return s, err
	}
	s.Wall = wall.Seconds()
	// kustomize-controller records its metric as the reconcile returns, around the status patch
	// the watch saw; wait until the count has moved.
	var after snapshot
	err = waitEvery(ctx, 10*time.Second, 50*time.Millisecond, "kustomize-controller counts the reconcile", func(ctx context.Context) (bool, string) {
		after, err = b.snapshot(ctx)
		if err != nil {
			return false, err.Error()
		}
		return after.reconcileCount > before.reconcileCount, fmt.Sprintf("count %v", after.reconcileCount)
	})
	if err != nil {
		return s, err
	}
	s.delta = diff(before, after)
	if s.Reconciles != 1 {
		return s, fmt.Errorf("reconcile %d (%s): kustomize-controller finished %.0f reconciles, not 1: something else ran", i+1, arm, s.Reconciles)
	}
	if arm == "off" && (s.APIWebhookCalls != 0 || s.HandlerRequests != 0) {
		return s, fmt.Errorf("reconcile %d: the webhook was off, yet the API server called driftgate %.0f times", i+1, s.APIWebhookCalls)
	}
	return s, nil
}

func secs(v float64) string {
	return time.Duration(v * float64(time.Second)).Round(10 * time.Microsecond).String()
}
