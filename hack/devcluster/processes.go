package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/driftgate/driftgate/internal/supervise"
)

// process is one background process up started, as state.json records it for later runs.
type process struct {
	Name string `json:"-"`
	supervise.Record
}

// startProcess runs bin in a session of its own, its output appended to the component's log,
// with env added to devcluster's environment; it keeps running after devcluster exits. It writes
// the pid file.
func startProcess(l layout, name, bin string, args []string, env ...string) (*supervise.Process, error) {
	spec := supervise.Spec{Name: name, Path: bin, Args: args, Log: l.log(name), Detach: true}
	if len(env) > 0 {
		spec.Env = append(os.Environ(), env...)
	}
	p, err := supervise.Start(spec)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.pidFile(name), []byte(strconv.Itoa(p.PID)+"\n"), 0o600); err != nil {
		return p, fmt.Errorf("writing %s: %w", l.pidFile(name), err)
	}
	return p, nil
}

// readPIDFile returns the pid in the component's pid file, 0 when there is none.
func readPIDFile(l layout, name string) (int, error) {
	raw, err := os.ReadFile(l.pidFile(name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", l.pidFile(name), err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s does not hold a process id", l.pidFile(name))
	}
	return pid, nil
}

// alive reports whether a process recorded by this or an earlier run still runs.
func alive(p process) bool { return supervise.Alive(p.Record) }

// stopProcess sends SIGTERM to p, and SIGKILL when it still runs after grace.
func stopProcess(p process, grace time.Duration) error {
	return supervise.StopRecorded(p.Name, p.Record, grace)
}

// liveProcesses are the recorded processes that still run.
func liveProcesses(l layout) ([]process, error) {
	procs, err := l.recorded()
	if err != nil {
		return nil, err
	}
	var live []process
	for _, p := range procs {
		if alive(p) {
			live = append(live, p)
		}
	}
	return live, nil
}

// describe lists processes as "name pid N, ...".
func describe(procs []process) string {
	parts := make([]string, len(procs))
	for i, p := range procs {
		parts[i] = fmt.Sprintf("%s pid %d", p.Name, p.PID)
	}
	return strings.Join(parts, ", ")
}
