package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// command is one real program the story runs.
type command struct {
	name   string   // how it is shown: what a person would type ("kubectl", "bin/driftgate", "go")
	path   string   // the binary run; name when empty
	args   []string // shown as they are, quoted for a shell where needed
	env    []string // added to the runner's environment
	stdout string   // a file stdout goes to, shown as "> file"; empty shows stdout
	note   string   // a comment shown after the command
	hide   func(line string) bool
}

// line is the command as shown: a command line a person could paste.
func (c command) line() string {
	parts := []string{c.name}
	for _, a := range c.args {
		parts = append(parts, shellQuote(a))
	}
	if c.stdout != "" {
		parts = append(parts, ">", shellQuote(c.stdout))
	}
	return strings.Join(parts, " ")
}

// runner runs commands, showing each and its output as it comes.
type runner struct {
	n   *narrator
	env []string // added to every command's environment, after the demo's own
}

// run shows c, runs it and returns its output (stdout and stderr as they interleave, but not
// what went to c.stdout) and exit status. The error is for a command that could not run.
func (r *runner) run(ctx context.Context, c command) (string, int, error) {
	r.n.command(c.line(), c.note)
	path := c.path
	if path == "" {
		path = c.name
	}
	cmd := exec.CommandContext(ctx, path, c.args...)
	interruptible(cmd)
	cmd.Env = append(append(os.Environ(), r.env...), c.env...)
	var out bytes.Buffer
	shown := r.n.outputWriter(c.hide)
	defer shown.Flush()
	w := io.MultiWriter(&out, shown)
	cmd.Stdout, cmd.Stderr = w, w
	if c.stdout != "" {
		f, err := os.Create(c.stdout)
		if err != nil {
			return "", 0, fmt.Errorf("creating %s: %w", c.stdout, err)
		}
		defer f.Close()
		cmd.Stdout = f
	}
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return out.String(), 0, fmt.Errorf("`%s` was interrupted: %w", c.line(), ctx.Err())
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode(), nil
	case err != nil:
		return out.String(), 0, fmt.Errorf("running %s: %w", c.name, err)
	}
	return out.String(), 0, nil
}

// interruptGrace is how long an interrupted command may take to clean up before it is killed.
const interruptGrace = 30 * time.Second

// interruptible runs cmd in a process group of its own; when the demo is interrupted, the
// group gets SIGINT (devcluster then stops what it was starting), and SIGKILL after
// interruptGrace.
func interruptible(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = interruptGrace
}

// succeed runs c and fails unless it exits 0.
func (r *runner) succeed(ctx context.Context, c command) (string, error) {
	out, code, err := r.run(ctx, c)
	if err != nil {
		return out, err
	}
	if code != 0 {
		return out, fmt.Errorf("`%s` failed (exit status %d): %s", c.line(), code, lastLine(out))
	}
	return out, nil
}

// refused runs c and fails unless it exits non-zero saying want.
func (r *runner) refused(ctx context.Context, c command, want string) (string, error) {
	out, code, err := r.run(ctx, c)
	if err != nil {
		return out, err
	}
	if code == 0 {
		return out, fmt.Errorf("`%s` succeeded, but driftgate should have refused it", c.line())
	}
	if !strings.Contains(out, want) {
		return out, fmt.Errorf("`%s` failed without driftgate's %q: %s", c.line(), want, lastLine(out))
	}
	return out, nil
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return "(no output)"
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_@%+=:,./-", r))
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
