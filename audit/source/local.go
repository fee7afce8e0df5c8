package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
)

// fetchLocal reads a local directory: a Git repository from a commit, anything else from disk.
func (f *Fetcher) fetchLocal(ctx context.Context, s Spec, sub string) (Snapshot, error) {
	info, err := os.Stat(s.URL)
	if err != nil {
		return Snapshot{}, fmt.Errorf("source %s: not a URL, and not a readable directory: %w", s.URL, err)
	}
	if !info.IsDir() {
		return Snapshot{}, fmt.Errorf("source %s: is a file: give its directory (and --path to narrow it)", s.URL)
	}
	if isGitDir(s.URL) {
		return f.fetchRepository(ctx, s, sub)
	}
	if s.Revision != "" {
		return Snapshot{}, fmt.Errorf("source %s: revision %q given, but the directory is not a Git repository: "+
			"drop the revision or point at the repository's top directory", s.URL, s.Revision)
	}
	return f.fetchPlain(ctx, s.URL, sub)
}

// isGitDir reports whether dir is the top of a work tree (it has .git) or a bare repository.
func isGitDir(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, git.GitDirName)); err == nil {
		return true
	}
	head, errHead := os.Stat(filepath.Join(dir, "HEAD"))
	objects, errObjects := os.Stat(filepath.Join(dir, "objects"))
	refs, errRefs := os.Stat(filepath.Join(dir, "refs"))
	return errHead == nil && errObjects == nil && errRefs == nil &&
		head.Mode().IsRegular() && objects.IsDir() && refs.IsDir()
}

// fetchRepository reads a revision of a local repository, in place.
func (f *Fetcher) fetchRepository(ctx context.Context, s Spec, sub string) (Snapshot, error) {
	repo, err := git.PlainOpenWithOptions(s.URL, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return Snapshot{}, fmt.Errorf("opening the Git repository %s: %w", s.URL, err)
	}
	commit, err := localCommit(repo, s.Revision, s.URL)
	if err != nil {
		return Snapshot{}, err
	}
	return f.snapshot(ctx, commit, sub, s.URL)
}

// fetchPlain reads a directory that is not a repository from disk.
func (f *Fetcher) fetchPlain(ctx context.Context, dir, sub string) (Snapshot, error) {
	rev, err := digestDir(ctx, dir)
	if err != nil {
		return Snapshot{}, err
	}
	objs, err := f.render(tree{root: dir}, sub, dir)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Revision: rev, Objects: objs}, nil
}

// digestDir hashes the names and contents of the non-hidden files below dir (a symlink by its
// target) into "sha256:" and 12 hex digits.
func digestDir(ctx context.Context, dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return digestEntry(h, dir, p, d)
	})
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", dir, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func digestEntry(h hash.Hash, dir, p string, d fs.DirEntry) error {
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return err
	}
	switch {
	case d.Type().IsRegular():
		fmt.Fprintf(h, "file %q\n", filepath.ToSlash(rel))
		return hashFile(h, p)
	case d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "link %q -> %q\n", filepath.ToSlash(rel), target)
	}
	return nil
}

func hashFile(h hash.Hash, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%d\n", info.Size())
	_, err = io.CopyN(h, f, info.Size())
	return err
}
