package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/internal/gitwork"
)

// cleanupTimeout bounds stopping the cluster after a failure or an interrupt.
const cleanupTimeout = 2 * time.Minute

// demo is one run of the story. The fields below the line are what earlier steps learned.
type demo struct {
	o       *options
	n       *narrator
	r       *runner
	l       layout
	cluster devcluster

	kube  *kube
	url   string // the repository on the cluster's Git server
	repo  *gitwork.Repo
	grant string        // the grant alice requested
	edits editNames     // the records of alice's writes
	head  plumbing.Hash // the repository's last commit
}

// editNames are the records of alice's three writes.
type editNames struct{ image, memory, revert string }

// step is one numbered part of the story.
type step struct {
	title string
	run   func(context.Context) error
}

func newDemo(o *options, n *narrator) *demo {
	r := &runner{n: n}
	l := layout{o.dir}
	return &demo{o: o, n: n, r: r, l: l, cluster: devcluster{r: r, dir: l.cluster(), assets: o.assets, bin: o.driftgate, flux: o.flux}}
}

// run tells the story; on a failure it stops the cluster (unless --keep) and returns one line
// saying which step failed and where the logs are.
func (d *demo) run(ctx context.Context) error {
	start := time.Now()
	d.intro()
	if err := d.prepare(ctx); err != nil {
		return d.fail("preparing "+d.o.dir, err)
	}
	for _, s := range d.steps() {
		d.n.title(s.title)
		if err := s.run(ctx); err != nil {
			return d.fail(fmt.Sprintf("step %d (%s)", d.n.step, s.title), err)
		}
	}
	fmt.Fprintln(d.n.out)
	d.n.good("the demo took %s: denied, granted, recorded, kept live through Flux, backported, reverted, ready to close", time.Since(start).Round(time.Second))
	return nil
}

// revision is the repository's last commit as driftgate shows it.
func (d *demo) revision() string { return short(d.head) }

func (d *demo) intro() {
	d.n.say("driftgate demo: an app the real Flux applies from Git, a hand edit denied, break-glass access,")
	d.n.say("the drift audit, the fix kept live through Flux's reconciles, a backport to Git, a live revert")
	d.n.say("and the incident report. Every command shown really runs; its output is indented under it.")
}

// prepare stops a cluster an earlier run left (KEEP=1, or an interrupted run) and removes what
// that run made, so every run starts from nothing.
func (d *demo) prepare(ctx context.Context) error {
	if d.cluster.present() {
		fmt.Fprintln(d.n.out)
		d.n.say("An earlier demo's cluster is still in %s; stopping it first:", d.l.cluster())
		if err := d.cluster.down(ctx); err != nil {
			return err
		}
	}
	for _, path := range d.l.made(ticket) {
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
	}
	if err := os.MkdirAll(d.o.dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", d.o.dir, err)
	}
	return nil
}

// fail stops the cluster unless --keep, keeping its logs, and says what failed where.
func (d *demo) fail(where string, err error) error {
	fmt.Fprintln(d.n.out)
	d.n.bad("%s failed: %v", where, err)
	logs := filepath.Join(d.l.cluster(), "*.log")
	if d.o.keep || !d.cluster.present() {
		return fmt.Errorf("%s: %w; logs: %s", where, err, logs)
	}
	if saveErr := d.cluster.saveLogs(d.l.logs()); saveErr == nil {
		logs = filepath.Join(d.l.logs(), "*.log")
	}
	d.n.say("Stopping the demo's cluster (KEEP=1 leaves it running after a failure):")
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if downErr := d.cluster.down(ctx); downErr != nil {
		err = fmt.Errorf("%w (stopping the cluster failed too: %v)", err, downErr)
	}
	return fmt.Errorf("%s: %w; logs: %s", where, err, logs)
}
