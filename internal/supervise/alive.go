package supervise

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Record identifies a process across runs of a program: its pid, binary, and start time (clock
// ticks since boot, from /proc), which tells it apart from an unrelated process that got the
// same pid later.
type Record struct {
	PID    int    `json:"pid"`
	Binary string `json:"binary"`
	Start  uint64 `json:"start,omitempty"`
}

func recordOf(pid int, binary string) Record {
	r := Record{PID: pid, Binary: binary}
	if st, ok := procStat(pid); ok {
		r.Start = st.start
	}
	return r
}

// Alive reports whether the recorded process still runs. It is for processes of an earlier
// run, which this program has no handle of; a process this program started is watched with
// Process.Exited. The pid must exist and not be a zombie, and have started when recorded: pid
// and start time name one process, whatever its command line says now (programs rewrite it:
// Redis shows "redis-server 127.0.0.1:6379"; it is empty between fork and exec). A record
// without a start time falls back to the binary's name in the command line. Without /proc (not
// Linux) only the pid is checked.
func Alive(r Record) bool {
	if r.PID <= 0 {
		return false
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return syscall.Kill(r.PID, 0) == nil
	}
	st, ok := procStat(r.PID)
	if !ok || st.state == "Z" || st.state == "X" {
		return false
	}
	if r.Start != 0 {
		return st.start == r.Start
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", r.PID))
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return filepath.Base(argv0) == filepath.Base(r.Binary)
}

// stat is what Alive needs of /proc/<pid>/stat.
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

// StopRecorded sends SIGTERM to the recorded process, and SIGKILL when it still runs after
// grace.
func StopRecorded(name string, r Record, grace time.Duration) error {
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping %s (pid %d): %w", name, r.PID, err)
	}
	if waitGone(r, grace) {
		return nil
	}
	if err := syscall.Kill(r.PID, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", name, r.PID, err)
	}
	if waitGone(r, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("%s (pid %d) still runs after SIGKILL", name, r.PID)
}

func waitGone(r Record, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for Alive(r) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
