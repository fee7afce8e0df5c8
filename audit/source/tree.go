package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// writeTree writes the files of commit's tree below dir. Symlinks and submodules are skipped:
// a link could point outside the repository.
func writeTree(ctx context.Context, commit *object.Commit, dir string) error {
	t, err := commit.Tree()
	if err != nil {
		return err
	}
	return t.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.Mode.IsFile() || f.Mode == filemode.Symlink {
			return nil
		}
		return writeFile(dir, f)
	})
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
