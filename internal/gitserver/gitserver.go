// Package gitserver serves Git repositories over HTTP with Git's own smart-HTTP backend
// (git http-backend behind net/http/cgi), pushes included: what Flux's source-controller and a
// person's `git push` reach in the dev cluster, the demo and the tests, where no Git host is
// reachable. It needs the git binary.
package gitserver

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"strings"
)

// Handler serves the repositories under root at /<path relative to root>.
func Handler(root string) (http.Handler, error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, errors.New("git is not on PATH: the Git server runs git http-backend")
	}
	out, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("asking git for its exec path: %w", err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + abs,
			"GIT_HTTP_EXPORT_ALL=1",
			// Pushes over HTTP: receive-pack is off unless configured, and on loopback nobody
			// else can reach it.
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true",
		},
	}, nil
}
