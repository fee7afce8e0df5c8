// Command driftgate keeps a GitOps cluster honest: an admission webhook that lets only GitOps
// controllers write GitOps-owned objects, break-glass grants, drift audit and incident reports.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the CLI and maps its outcome to the SPEC's exit codes: 0 success, 1 denied or
// failed check, 2 usage or runtime error (one line on stderr).
func execute(args []string) int {
	cmd := newRootCommand()
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintln(os.Stderr, "driftgate: "+strings.Join(strings.Fields(err.Error()), " "))
	return 2
}

// exitCode ends a command with a code and no message (the command printed its outcome).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
