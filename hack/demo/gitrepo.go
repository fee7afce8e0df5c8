package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// branch is the demo repository's branch.
const branch = "main"

// revisionLength is how many hex digits of a commit driftgate shows (status.revision).
const revisionLength = 12

// remoteName is the name of the clone's remote, the cluster's Git server.
const remoteName = "origin"

// gitRepo is alice's clone of the demo repository, written and pushed in-process with go-git
// (only the cluster's Git server runs git).
type gitRepo struct {
	dir    string
	repo   *git.Repository
	pushed plumbing.Hash // what the last push sent
}

// initBare creates an empty bare repository in dir, its HEAD on branch main: a new repository
// on the Git server.
func initBare(dir string) error {
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return fmt.Errorf("creating a bare Git repository in %s: %w", dir, err)
	}
	return nil
}

// initRepo creates an empty repository in dir, on branch main, whose remote origin is url.
func initRepo(dir, url string) (*gitRepo, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating a Git repository in %s: %w", dir, err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("adding the remote %s to %s: %w", url, dir, err)
	}
	return &gitRepo{dir: dir, repo: r}, nil
}

// copyIn copies the regular files under src to dst, a directory inside the repository.
func (g *gitRepo) copyIn(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return fmt.Errorf("copying %s: %w", path, err)
		}
		target := filepath.Join(g.dir, dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target, 0o644)
	})
}

// replace changes old to new in a file of the repository; old must be there.
func (g *gitRepo) replace(file, old, new string) error {
	path := filepath.Join(g.dir, file)
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if !strings.Contains(string(raw), old) {
		return fmt.Errorf("%s does not contain %q", path, old)
	}
	return os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), old, new)), 0o644)
}

// commitAll stages every change and commits it; it returns the commit's hash.
func (g *gitRepo) commitAll(message string) (plumbing.Hash, error) {
	wt, err := g.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("opening the work tree of %s: %w", g.dir, err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("staging the changes in %s: %w", g.dir, err)
	}
	sig := &object.Signature{Name: "driftgate demo", Email: "demo@driftgate.invalid", When: time.Now()}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing in %s: %w", g.dir, err)
	}
	return h, nil
}

// push sends branch main to the remote, over HTTP as a person's git push does. It returns
// what git prints for it: the URL and the update of main.
func (g *gitRepo) push() (string, error) {
	head, err := g.repo.Head()
	if err != nil {
		return "", fmt.Errorf("reading HEAD of %s: %w", g.dir, err)
	}
	ref := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", branch, branch))
	if err := g.repo.Push(&git.PushOptions{RemoteName: remoteName, RefSpecs: []config.RefSpec{ref}}); err != nil {
		return "", fmt.Errorf("pushing %s to %s: %w", branch, remoteName, err)
	}
	remote, err := g.repo.Remote(remoteName)
	if err != nil {
		return "", fmt.Errorf("reading the remote of %s: %w", g.dir, err)
	}
	update := " * [new branch]     "
	if !g.pushed.IsZero() {
		update = fmt.Sprintf("   %s..%s ", g.pushed.String()[:7], head.Hash().String()[:7])
	}
	g.pushed = head.Hash()
	return fmt.Sprintf("To %s\n%s %s -> %s\n", remote.Config().URLs[0], update, branch, branch), nil
}

// short is a commit's revision as driftgate shows it.
func short(h plumbing.Hash) string { return h.String()[:revisionLength] }
