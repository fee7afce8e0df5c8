package policies_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/driftgate/driftgate/policies"
)

// TestWatcherReloadsAndRejects edits a policy directory under a running Watcher: a valid file is
// picked up, a file that does not compile leaves the last good policy in force.
func TestWatcherReloadsAndRejects(t *testing.T) {
	dir := t.TempDir()
	e := newEngine(t, nil, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloads := make(chan error, 16)
	w := &policies.Watcher{Engine: e, Dir: dir, Log: logr.Discard(), Settle: 20 * time.Millisecond,
		OnReload: func(err error) { reloads <- err }}
	done := make(chan error, 1)
	go func() { done <- w.Start(ctx) }()
	defer func() { cancel(); <-done }()

	if err := nextReload(t, reloads); err != nil {
		t.Fatalf("initial load of an empty directory: %v", err)
	}
	unowned := personInput()
	unowned.Ownership = policies.Ownership{}
	decide := func() policies.Decision {
		d, err := e.Evaluate(context.Background(), unowned)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if !decide().Allowed {
		t.Fatal("the default policy denies an unowned write")
	}

	write(t, filepath.Join(dir, "freeze.rego"), `package driftgate.admission
deny contains "change freeze" if input.namespace == "prod"`)
	if err := nextReload(t, reloads); err != nil {
		t.Fatalf("a valid policy was rejected: %v", err)
	}
	if d := decide(); d.Allowed || d.Reason != "change freeze" {
		t.Fatalf("after reload: %+v, want the freeze denial", d)
	}

	good := e.Version()
	write(t, filepath.Join(dir, "broken.rego"), "package driftgate.admission\ndeny contains")
	if err := nextReload(t, reloads); err == nil {
		t.Fatal("a policy that does not compile was accepted")
	}
	if e.Version() != good || decide().Reason != "change freeze" {
		t.Fatal("a policy that does not compile replaced the last good one")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nextReload waits for the watcher's next reload attempt (bounded, not timed).
func nextReload(t *testing.T, reloads <-chan error) error {
	t.Helper()
	select {
	case err := <-reloads:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher never reloaded")
		return nil
	}
}

// TestWatcherRunsOnEveryReplica: every replica serves admission, so every replica must reload
// the policy; a runnable that needs leader election would run on the leader only.
func TestWatcherRunsOnEveryReplica(t *testing.T) {
	if (&policies.Watcher{}).NeedLeaderElection() {
		t.Error("the policy watcher asks for leader election; followers would keep the old policy")
	}
}
