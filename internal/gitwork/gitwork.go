// Package gitwork is a person's clone of a repository on the dev cluster's Git server, written,
// committed and pushed in-process with go-git over HTTP (only the Git server runs git): what the
// demo and the benchmarks push to the GitOps controllers.
package gitwork

import (
	"fmt"
	"io"
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

// Branch is the repositories' branch.
const Branch = "main"

const remoteName = "origin"

// Repo is a clone whose remote origin is a repository on the Git server.
type Repo struct {
	dir    string
	repo   *git.Repository
	author string
	pushed plumbing.Hash // what the last push sent
}

// InitBare creates an empty bare repository in dir, its HEAD on Branch: a new repository on
// the Git server.
func InitBare(dir string) error {
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(Branch)},
	})
	if err != nil {
		return fmt.Errorf("creating a bare Git repository in %s: %w", dir, err)
	}
	return nil
}

// Init creates an empty repository in dir, on Branch, whose remote origin is url; author signs
// its commits.
func Init(dir, url, author string) (*Repo, error) {
	r, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(Branch)},
	})
	if err != nil {
		return nil, fmt.Errorf("creating a Git repository in %s: %w", dir, err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return nil, fmt.Errorf("adding the remote %s to %s: %w", url, dir, err)
	}
	return &Repo{dir: dir, repo: r, author: author}, nil
}

// CopyIn copies the regular files under src to dst, a directory inside the repository.
func (g *Repo) CopyIn(src, dst string) error {
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
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return out.Close()
}

// Replace changes old to new in a file of the repository; old must be there.
func (g *Repo) Replace(file, old, new string) error {
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

// CommitAll stages every change and commits it; it returns the commit's hash.
func (g *Repo) CommitAll(message string) (plumbing.Hash, error) {
	wt, err := g.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("opening the work tree of %s: %w", g.dir, err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("staging the changes in %s: %w", g.dir, err)
	}
	sig := &object.Signature{Name: g.author, Email: strings.ReplaceAll(g.author, " ", ".") + "@driftgate.invalid", When: time.Now()}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing in %s: %w", g.dir, err)
	}
	return h, nil
}

// Push sends Branch to the remote, over HTTP as a person's git push does, and returns when the
// server has updated it. It returns what git prints for it: the URL and the update of the branch.
func (g *Repo) Push() (string, error) {
	head, err := g.repo.Head()
	if err != nil {
		return "", fmt.Errorf("reading HEAD of %s: %w", g.dir, err)
	}
	ref := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", Branch, Branch))
	if err := g.repo.Push(&git.PushOptions{RemoteName: remoteName, RefSpecs: []config.RefSpec{ref}}); err != nil {
		return "", fmt.Errorf("pushing %s to %s: %w", Branch, remoteName, err)
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
	return fmt.Sprintf("To %s\n%s %s -> %s\n", remote.Config().URLs[0], update, Branch, Branch), nil
}
