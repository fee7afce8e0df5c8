package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// branch is the demo repository's branch.
const branch = "main"

// revisionLength is how many hex digits of a commit driftgate shows (status.revision).
const revisionLength = 12

// gitRepo is the demo's Git repository, written in-process with go-git, so the demo needs no
// git binary.
type gitRepo struct {
	dir  string
	repo *git.Repository
}

// initRepo creates an empty repository in dir, on branch main.
func initRepo(dir string) (*gitRepo, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating a Git repository in %s: %w", dir, err)
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

// commitAll stages every change and commits it; it returns the commit's short revision.
func (g *gitRepo) commitAll(message string) (string, error) {
	wt, err := g.repo.Worktree()
	if err != nil {
		return "", fmt.Errorf("opening the work tree of %s: %w", g.dir, err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("staging the changes in %s: %w", g.dir, err)
	}
	sig := &object.Signature{Name: "driftgate demo", Email: "demo@driftgate.invalid", When: time.Now()}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig})
	if err != nil {
		return "", fmt.Errorf("committing in %s: %w", g.dir, err)
	}
	return h.String()[:revisionLength], nil
}
