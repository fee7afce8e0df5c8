// Package supervise starts the long-running components driftgate's tools run beside it (etcd,
// kube-apiserver, driftgate serve, the GitOps controllers) and watches them through the handle
// of the process it started: a child's exit is known the moment cmd.Wait returns, not guessed
// from /proc. Processes left by an earlier run, known only by a recorded pid, are checked with
// Alive (alive.go).
package supervise

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Spec is a component to start.
type Spec struct {
	// Name names the component in errors ("etcd").
	Name string
	// Path is the binary.
	Path string
	Args []string
	// Env, when not nil, is the whole environment; nil inherits this process's.
	Env []string
	// Log is the file stdout and stderr are appended to; its tail is shown when the component
	// exits early.
	Log string
	// Detach runs the component in a session of its own, so that it outlives this program and
	// a terminal's signals do not reach it (a dev cluster). Otherwise it is in this program's
	// process group.
	Detach bool
}

// Process is a component this program started.
type Process struct {
	Name string
	Log  string
	// Record (its PID, binary and start time) identifies it for a later run, which has no
	// handle (Alive).
	Record

	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's error, set before done is closed
}

// Start starts s and watches it: Exited and Wait tell when it ends.
func Start(s Spec) (*Process, error) {
	logFile, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening %s's log: %w", s.Name, err)
	}
	// The child has its own descriptor once started; ours closes whatever happens.
	defer logFile.Close()
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = s.Env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if s.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", s.Name, s.Path, err)
	}
	p := &Process{Name: s.Name, Log: s.Log, Record: recordOf(cmd.Process.Pid, s.Path), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit and returns how it ended: nil for exit status 0.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// ExitError describes how the process ended, with the last lines of its log: nil while it runs.
func (p *Process) ExitError() error {
	if !p.Exited() {
		return nil
	}
	return &ExitError{Name: p.Name, Log: p.Log, Status: exitStatus(p.err), Tail: Tail(p.Log, tailLines)}
}

// Signal sends sig to the process unless it has exited.
func (p *Process) Signal(sig os.Signal) error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s (pid %d): %w", p.Name, p.PID, err)
	}
	return nil
}

// Stop sends SIGTERM, and SIGKILL when the process still runs after grace; it returns once the
// process has exited.
func (p *Process) Stop(grace time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.done
	return nil
}

// WaitReady polls ready every interval until it holds, the process exits (an *ExitError), ctx
// ends, or timeout passes.
func (p *Process) WaitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) bool) error {
	const interval = 200 * time.Millisecond
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if ready(ctx) {
			return nil
		}
		select {
		case <-p.done:
			return p.ExitError()
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", p.Name, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("%s did not become ready within %s (it still runs): last lines of %s:\n%s",
				p.Name, timeout.Round(time.Second), p.Log, indent(Tail(p.Log, tailLines)))
		case <-time.After(interval):
		}
	}
}

// AnswersOK is a readiness check for WaitReady: url answers 200 OK to a GET through c within 2 s.
func AnswersOK(c *http.Client, url string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false
		}
		resp, err := c.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}
