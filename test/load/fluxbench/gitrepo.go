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

// branch is the repository's branch, as in the demo.
const branch = "main"

// gitRepo is a clone of the app's repository on the cluster's Git server, written and pushed
// with go-git over HTTP, as a person's git push.
type gitRepo struct {
	dir  string
	repo *git.Repository
	head plumbing.Hash
}

func initBare(dir string) error {
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return fmt.Errorf("creating the bare repository %s: %w", dir, err)
	}
	return nil
}

func initRepo(dir, url string) (*gitRepo, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating a repository in %s: %w", dir, err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("adding the remote %s: %w", url, err)
	}
	return &gitRepo{dir: dir, repo: r}, nil
}

// copyIn copies the regular files under src into dst inside the repository.
func (g *gitRepo) copyIn(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
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
		return err
	}
	if !strings.Contains(string(raw), old) {
		return fmt.Errorf("%s does not contain %q", path, old)
	}
	return os.WriteFile(path, []byte(strings.ReplaceAll(string(raw), old, new)), 0o644)
}

// commitAll commits every change and keeps the commit as head.
func (g *gitRepo) commitAll(message string) (plumbing.Hash, error) {
	wt, err := g.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("staging in %s: %w", g.dir, err)
	}
	sig := &object.Signature{Name: "fluxbench", Email: "fluxbench@driftgate.invalid", When: time.Now()}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing in %s: %w", g.dir, err)
	}
	g.head = h
	return h, nil
}

// push sends main to the Git server; it returns when the server has updated the branch.
func (g *gitRepo) push() error {
	ref := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", branch, branch))
	if err := g.repo.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{ref}}); err != nil {
		return fmt.Errorf("pushing %s: %w", branch, err)
	}
	return nil
}

// fluxRevision is a commit as Flux names it (status.lastAppliedRevision).
func fluxRevision(h plumbing.Hash) string { return branch + "@sha1:" + h.String() }
