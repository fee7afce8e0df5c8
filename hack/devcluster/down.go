package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// down stops every process the pid files name, newest first, and removes the state dir.
func down(o *options, out io.Writer) error {
	l := layout{o.dir}
	if !l.exists() {
		fmt.Fprintf(out, "no local cluster in %s: nothing to stop\n", o.dir)
		return nil
	}
	if err := checkOurs(l); err != nil {
		return err
	}
	procs, err := l.recorded()
	if err != nil {
		return err
	}
	stopped := 0
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		if !alive(p) {
			continue
		}
		if err := stopProcess(p, o.grace); err != nil {
			return err
		}
		fmt.Fprintf(out, "stopped %s (pid %d)\n", p.Name, p.PID)
		stopped++
	}
	if err := l.remove(); err != nil {
		return fmt.Errorf("removing %s: %w", l.dir, err)
	}
	if stopped == 0 {
		fmt.Fprintf(out, "nothing was running; removed the stale state in %s\n", o.dir)
		return nil
	}
	fmt.Fprintf(out, "removed %s\n", o.dir)
	return nil
}

// removeStale removes a state dir whose processes are all gone.
func removeStale(l layout, out io.Writer) error {
	if !l.exists() {
		return nil
	}
	if err := checkOurs(l); err != nil {
		return err
	}
	fmt.Fprintf(out, "removing the stale state in %s (nothing of it runs)\n", l.dir)
	if err := l.remove(); err != nil {
		return fmt.Errorf("removing %s: %w", l.dir, err)
	}
	return nil
}

// checkOurs refuses to remove a directory devcluster did not make: it must hold state.json,
// or be empty.
func checkOurs(l layout) error {
	if _, err := os.Stat(l.stateFile()); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking %s: %w", l.stateFile(), err)
	}
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", l.dir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s has no state.json: not a devcluster state dir, not removing it", l.dir)
	}
	return nil
}
