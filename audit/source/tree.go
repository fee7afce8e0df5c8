package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// writeTree writes the files of commit's tree below dir, and its symlinks that resolve, after
// all are written, to a file or directory inside dir (as Argo CD's repo server and kustomize
// follow them); a link resolving to nothing is left out, and so is one leading outside dir,
// which is returned in escaping (by its path in the repository). Submodules are not fetched.
func writeTree(ctx context.Context, commit *object.Commit, dir string) (escaping []string, err error) {
	t, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	var links []string
	err = t.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case f.Mode == filemode.Symlink:
			at, err := writeLink(dir, f)
			switch {
			case err != nil:
				return err
			case at == "":
				escaping = append(escaping, f.Name)
			default:
				links = append(links, at)
			}
			return nil
		case !f.Mode.IsFile():
			return nil
		}
		return writeFile(dir, f)
	})
	if err != nil {
		return nil, err
	}
	more, err := dropEscapingLinks(dir, links)
	return append(escaping, more...), err
}

// writeLink writes the symlink f below dir when its target, read as a path from the link's
// directory, stays inside dir; it returns the link's path, or "" when it is left out.
func writeLink(dir string, f *object.File) (string, error) {
	name := filepath.FromSlash(f.Name)
	if !filepath.IsLocal(name) {
		return "", fmt.Errorf("unsafe file name %q in the commit", f.Name)
	}
	target, err := f.Contents()
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.Name, err)
	}
	target = filepath.FromSlash(target)
	if target == "" || filepath.IsAbs(target) || !filepath.IsLocal(filepath.Join(filepath.Dir(name), target)) {
		return "", nil
	}
	at := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(at), 0o755); err != nil {
		return "", err
	}
	return at, os.Symlink(target, at)
}

// dropEscapingLinks removes each link that, through the links it passes, resolves to nothing or
// outside dir; it returns the latter, by their paths below dir.
func dropEscapingLinks(dir string, links []string) (escaping []string, err error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		real, err := filepath.EvalSymlinks(l)
		rel, rerr := filepath.Rel(root, real)
		if err == nil && rerr == nil && filepath.IsLocal(rel) {
			continue
		}
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			name, _ := filepath.Rel(dir, l)
			escaping = append(escaping, filepath.ToSlash(name))
		}
		if err := os.Remove(l); err != nil {
			return nil, err
		}
	}
	return escaping, nil
}

func writeFile(dir string, f *object.File) error {
	name := filepath.FromSlash(f.Name)
	if !filepath.IsLocal(name) {
		return fmt.Errorf("unsafe file name %q in the commit", f.Name)
	}
	target := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	r, err := f.Reader()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	defer r.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
