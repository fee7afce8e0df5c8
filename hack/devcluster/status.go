package main

import (
	"fmt"
	"io"
)

// status says which processes run, and where the kubeconfig is when all do.
func status(o *options, out io.Writer) error {
	l := layout{o.dir}
	if !l.exists() {
		fmt.Fprintf(out, "no local cluster in %s\n", o.dir)
		return nil
	}
	procs, err := l.recorded()
	if err != nil {
		return err
	}
	running := 0
	for _, p := range procs {
		word := "not running"
		if alive(p) {
			word, running = "running", running+1
		}
		fmt.Fprintf(out, "%-21s pid %-8d %s (log %s)\n", p.Name, p.PID, word, l.log(p.Name))
	}
	if running > 0 && running == len(procs) {
		fmt.Fprintf(out, "kubeconfig: %s\n", absPath(l.kubeconfig()))
	}
	return nil
}
