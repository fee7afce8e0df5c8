package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTellsExitedFromRunning starts a component that exits at once and one that runs on, and
// checks that each is told for what it is, from the first instant after start on.
func TestTellsExitedFromRunning(t *testing.T) {
	dir := t.TempDir()
	long, err := Start(Spec{Name: "long", Path: "/bin/sleep", Args: []string{"60"}, Log: filepath.Join(dir, "long.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = long.Stop(time.Second) })
	if long.Exited() {
		t.Fatal("a process that runs for a minute reads as exited right after start")
	}
	if !Alive(long.Record) {
		t.Fatal("Alive says a process that runs for a minute is gone, right after start")
	}

	short, err := Start(Spec{Name: "short", Path: "/bin/sh", Args: []string{"-c", "echo first; echo 'cannot bind 127.0.0.1:2379'; exit 3"}, Log: filepath.Join(dir, "short.log")})
	if err != nil {
		t.Fatal(err)
	}
	_ = short.Wait() // exit status 3: ExitError reports it
	var exit *ExitError
	if !errors.As(short.ExitError(), &exit) {
		t.Fatalf("ExitError of an exited process = %v, want an *ExitError", short.ExitError())
	}
	if exit.Status != "exit status 3" || exit.Tail != "first\ncannot bind 127.0.0.1:2379" {
		t.Errorf("ExitError = %+v, want status \"exit status 3\" and the two lines it wrote", exit)
	}
	if long.Exited() || long.ExitError() != nil {
		t.Error("the long-lived process reads as exited")
	}
}

// TestAliveRightAfterStart checks Alive, the check for processes of an earlier run, on many
// processes just started: none may read as gone in the window between fork and exec.
func TestAliveRightAfterStart(t *testing.T) {
	dir := t.TempDir()
	for i := range 100 {
		p, err := Start(Spec{Name: "sleep", Path: "/bin/sleep", Args: []string{"30"}, Log: filepath.Join(dir, "sleep.log")})
		if err != nil {
			t.Fatal(err)
		}
		alive := Alive(p.Record)
		if err := p.Stop(time.Second); err != nil {
			t.Fatal(err)
		}
		if !alive {
			t.Fatalf("start %d: Alive said a process just started is gone", i)
		}
		if Alive(p.Record) {
			t.Fatalf("start %d: Alive says a stopped process runs", i)
		}
	}
}

// TestAliveWithItsCommandLineRewritten: a process that changes its own command line (Redis
// does) is still the recorded one; once stopped it is not. The old check compared the binary's
// name with the command line and lost Redis, which devcluster down then left running.
func TestAliveWithItsCommandLineRewritten(t *testing.T) {
	p, err := Start(Spec{Name: "renamed", Path: "/bin/bash", Args: []string{"-c", `exec -a "redis-server 127.0.0.1:6379" sleep 30`},
		Log: filepath.Join(t.TempDir(), "renamed.log")})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool {
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID))
		return strings.HasPrefix(string(raw), "redis-server")
	})
	alive := Alive(p.Record)
	if err := p.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if !alive {
		t.Error("Alive lost a running process whose command line it rewrote")
	}
	if Alive(p.Record) {
		t.Error("Alive says a stopped process runs")
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
	}
}

// TestWaitReady covers the three ends of a wait: ready, exited early, still starting at the
// deadline.
func TestWaitReady(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		ready   bool
		timeout time.Duration
		wantErr string // "" for ready
	}{
		{name: "ready", script: "sleep 30", ready: true, timeout: time.Minute},
		{name: "exits early", script: "echo 'etcdmain: listen tcp: address already in use' >&2; exit 1", timeout: time.Minute,
			wantErr: "early exited (exit status 1); last lines of"},
		{name: "never ready", script: "echo starting; sleep 30", timeout: 500 * time.Millisecond,
			wantErr: "early did not become ready within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "c.log")
			p, err := Start(Spec{Name: "early", Path: "/bin/sh", Args: []string{"-c", tc.script}, Log: log})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.Stop(time.Second) })
			err = p.WaitReady(context.Background(), tc.timeout, func(context.Context) bool { return tc.ready })
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("WaitReady = %v, want ready", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("WaitReady = %v, want an error containing %q", err, tc.wantErr)
			}
			raw, _ := os.ReadFile(log)
			if line := strings.TrimSpace(string(raw)); !strings.Contains(err.Error(), line) {
				t.Errorf("the error does not show the log's line %q: %v", line, err)
			}
		})
	}
}

func TestTail(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{name: "empty", content: "", want: ""},
		{name: "fewer lines", content: "a\nb\n", want: "a\nb"},
		{name: "more lines", content: strings.Repeat("x\n", 30) + "last\n", want: strings.Repeat("x\n", tailLines-1) + "last"},
	}
	for _, tc := range tests {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := Tail(path, tailLines); got != tc.want {
			t.Errorf("%s: Tail = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Tail(filepath.Join(dir, "missing"), tailLines); got != "" {
		t.Errorf("Tail of a missing file = %q, want empty", got)
	}
}
