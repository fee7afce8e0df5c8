package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one background process up started. Its binary and start time (in clock ticks
// since boot, from /proc) tell it apart from an unrelated process that got the same pid later.
type process struct {
	Name   string `json:"-"`
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	Start  uint64 `json:"start,omitempty"`
}

// startProcess runs bin in a session of its own, its output appended to the component's log,
// and releases it: it keeps running after devcluster exits. It writes the pid file.
func startProcess(l layout, name, bin string, args []string) (process, error) {
	logFile, err := os.OpenFile(l.log(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return process{}, fmt.Errorf("opening %s: %w", l.log(name), err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return process{}, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p := process{Name: name, PID: cmd.Process.Pid, Binary: bin}
	if st, ok := procStat(p.PID); ok {
		p.Start = st.start
	}
	if err := cmd.Process.Release(); err != nil {
		return p, fmt.Errorf("releasing %s: %w", name, err)
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

// alive reports whether p runs: the pid exists, is not a zombie, started when p did, and runs
// p's binary. Without /proc (not Linux) only the first is checked.
func alive(p process) bool {
	if p.PID <= 0 {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return syscall.Kill(p.PID, 0) == nil
	}
	st, ok := procStat(p.PID)
	if !ok || st.state == "Z" || st.state == "X" || (p.Start != 0 && st.start != p.Start) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.PID))
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return filepath.Base(argv0) == filepath.Base(p.Binary)
}

// stat is what alive needs of /proc/<pid>/stat.
type stat struct {
	state string
	start uint64
}

// procStat reads a process's state and start time; false when it is gone or unreadable.
func procStat(pid int) (stat, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	// Fields from the third (state) on follow the command name, which is in parentheses;
	// starttime is the 22nd.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 20 {
		return stat{}, false
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return stat{}, false
	}
	return stat{state: fields[0], start: start}, true
}

// stopProcess sends SIGTERM to p, and SIGKILL when it still runs after grace.
func stopProcess(p process, grace time.Duration) error {
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s (pid %d): %w", p.Name, p.PID, err)
	}
	if waitGone(p, grace) {
		return nil
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", p.Name, p.PID, err)
	}
	if waitGone(p, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("%s (pid %d) still runs after SIGKILL", p.Name, p.PID)
}

func waitGone(p process, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for alive(p) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
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
