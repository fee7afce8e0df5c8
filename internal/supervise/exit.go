package supervise

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// tailLines is how many lines of a component's log an error shows.
const tailLines = 20

// ExitError is a component that exited when it should have run on.
type ExitError struct {
	Name   string
	Log    string
	Status string // "exit status 1", "signal: killed"
	Tail   string // the last lines of Log
}

func (e *ExitError) Error() string {
	if e.Tail == "" {
		return fmt.Sprintf("%s exited (%s) and wrote nothing to %s", e.Name, e.Status, e.Log)
	}
	return fmt.Sprintf("%s exited (%s); last lines of %s:\n%s", e.Name, e.Status, e.Log, indent(e.Tail))
}

// exitStatus is how cmd.Wait's error reads: "exit status 0" for a clean exit.
func exitStatus(err error) string {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &exit):
		return exit.ProcessState.String()
	default:
		return err.Error()
	}
}

// Tail returns the last n lines of the file at path, "" when it is empty or unreadable. It
// reads at most the last 64 KiB.
func Tail(path string, n int) string {
	const window = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(info.Size()-window, 0)
	buf := make([]byte, info.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil {
		return ""
	}
	buf = bytes.TrimRight(buf, "\n")
	lines := strings.Split(string(buf), "\n")
	if off > 0 && len(lines) > 1 {
		lines = lines[1:] // the first may be cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
