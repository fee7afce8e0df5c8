package testutil

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/internal/gitserver"
)

// GitServer serves bare repositories under a temporary directory over HTTP on loopback (git
// http-backend, pushes included), as a Git host does for the GitOps controllers in the tests.
type GitServer struct {
	// Root holds the bare repositories, <name>.git.
	Root string
	srv  *httptest.Server
}

// NewGitServer starts a Git server on an empty directory. Close stops it and removes it.
func NewGitServer() (*GitServer, error) {
	root, err := os.MkdirTemp("", "driftgate-git-")
	if err != nil {
		return nil, err
	}
	h, err := gitserver.Handler(root)
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return &GitServer{Root: root, srv: httptest.NewServer(h)}, nil
}

// Close stops the server and removes the repositories.
func (g *GitServer) Close() {
	g.srv.Close()
	_ = os.RemoveAll(g.Root)
}

// URL is the HTTP URL of the repository name.
func (g *GitServer) URL(name string) string { return g.srv.URL + "/" + name + ".git" }

// Dir is the bare repository name on disk.
func (g *GitServer) Dir(name string) string { return filepath.Join(g.Root, name+".git") }

// Push makes work a Git repository of its files and pushes it, over HTTP as a person would, to
// a new repository name; it returns the repository's URL.
func (g *GitServer) Push(t testing.TB, name, work string) string {
	t.Helper()
	Git(t, "", "init", "-q", "--bare", "-b", "main", g.Dir(name))
	Git(t, work, "init", "-q", "-b", "main")
	url := g.URL(name)
	CommitPush(t, work, url, "the app")
	return url
}

// CommitPush commits everything in work and pushes it to url's main.
func CommitPush(t testing.TB, work, url, msg string) {
	t.Helper()
	Git(t, work, "add", ".")
	Git(t, work, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", msg)
	Git(t, work, "push", "-q", url, "main")
}

// Git runs git in dir and returns its output, trimmed; the test fails when git does.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
