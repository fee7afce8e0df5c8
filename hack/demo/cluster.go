package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// defaultDriftgate is devcluster's default --driftgate, left out of the command shown.
const defaultDriftgate = "bin/driftgate"

// devcluster runs hack/devcluster (`go run ./hack/devcluster`) on the demo's own state dir.
type devcluster struct {
	r      *runner
	dir    string // devcluster's state dir
	assets string
	bin    string // the driftgate binary serve runs
	flux   string // directory of Flux's controllers (hack/flux.sh)
}

func (d devcluster) command(verb string) command {
	args := []string{"run", "./hack/devcluster", verb, "--dir", d.dir}
	if d.bin != defaultDriftgate {
		args = append(args, "--driftgate", d.bin)
	}
	return command{name: "go", args: args, env: []string{"KUBEBUILDER_ASSETS=" + d.assets}}
}

// up starts the cluster with Flux's controllers and the Git server. Its closing advice (stop
// with `make dev-down`, what to try) is about make dev-up's cluster, so it is not shown; the demo
// gives its own at the end.
func (d devcluster) up(ctx context.Context) (string, error) {
	c := d.command("up")
	c.args = append(c.args, "--flux", d.flux)
	c.hide = func(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "stop ") }
	return d.r.succeed(ctx, c)
}

// gitServer is the URL of the cluster's Git server, from the ports devcluster's state.json
// records (docs/operations.md, "Local cluster").
func (d devcluster) gitServer() (string, error) {
	statePath := filepath.Join(d.dir, "state.json")
	raw, err := os.ReadFile(statePath)
	if err != nil {
		return "", fmt.Errorf("reading the cluster's state: %w", err)
	}
	var s struct {
		Ports struct {
			GitServer int `json:"gitServer"`
		} `json:"ports"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is not devcluster's state: %w", statePath, err)
	}
	if s.Ports.GitServer == 0 {
		return "", fmt.Errorf("%s records no Git server: was the cluster started without --flux?", statePath)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", s.Ports.GitServer), nil
}

// down stops the cluster and removes its state dir.
func (d devcluster) down(ctx context.Context) error {
	_, err := d.r.succeed(ctx, d.command("down"))
	return err
}

// present reports whether the cluster's state dir exists (a running or a stale cluster).
func (d devcluster) present() bool {
	_, err := os.Stat(d.dir)
	return err == nil
}

// saveLogs copies the cluster's logs to dst, which down would otherwise remove.
func (d devcluster) saveLogs(dst string) error {
	logs, err := filepath.Glob(filepath.Join(d.dir, "*.log"))
	if err != nil || len(logs) == 0 {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	for _, src := range logs {
		if err := copyFile(src, filepath.Join(dst, filepath.Base(src)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
