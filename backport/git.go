package backport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/driftgate/driftgate/audit/source"
)

// ErrPushRejected: the Git server refused the branch (it exists there with other commits, or the
// credentials may not push).
var ErrPushRejected = errors.New("push rejected")

// Clone is a temporary bare clone of a source's repository at the revision a backport starts
// from. Nothing of it outlives Close: commits reach a person's checkout (Transfer) or the Git
// server (Push) only when asked.
type Clone struct {
	// Dir is the bare repository; Files the base commit's files written out.
	Dir, Files string
	// URL is the remote; Branch the branch the revision named (the pull request's base).
	URL, Branch string
	// Base is the commit the backport starts from.
	Base *object.Commit

	repo   *git.Repository
	auth   source.GoGit
	tmp    string
	closed bool
}

// CloneSource clones url at revision (a branch, a tag or a commit; empty: the default branch)
// into a temporary directory, with the source's credentials as the audit fetches with them.
func CloneSource(ctx context.Context, url, revision string, auth source.Auth) (*Clone, error) {
	tmp, err := os.MkdirTemp("", "driftgate-backport-")
	if err != nil {
		return nil, fmt.Errorf("creating a directory for the clone: %w", err)
	}
	c := &Clone{Dir: filepath.Join(tmp, "repo.git"), Files: filepath.Join(tmp, "files"), URL: url, tmp: tmp}
	if err := c.clone(ctx, revision, auth); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Clone) clone(ctx context.Context, revision string, auth source.Auth) error {
	var err error
	if c.auth, err = auth.ForGoGit(c.URL, c.tmp); err != nil {
		return err
	}
	c.repo, err = git.PlainCloneContext(ctx, c.Dir, true, &git.CloneOptions{
		URL: c.URL, Auth: c.auth.Method, CABundle: c.auth.CABundle, Tags: git.NoTags,
		ClientCert: c.auth.ClientCert, ClientKey: c.auth.ClientKey,
	})
	if err != nil {
		return fmt.Errorf("cloning %s: %w", redact(c.URL), err)
	}
	head, err := c.repo.Head()
	if err != nil {
		return fmt.Errorf("cloning %s: the repository has no default branch: %w", redact(c.URL), err)
	}
	c.Branch = head.Name().Short()
	hash := head.Hash()
	if revision != "" && revision != "HEAD" {
		hash, c.Branch, err = c.resolve(ctx, revision)
		if err != nil {
			return err
		}
	}
	if c.Base, err = c.repo.CommitObject(hash); err != nil {
		return fmt.Errorf("reading commit %s of %s: %w", hash, redact(c.URL), err)
	}
	return writeFiles(ctx, c.Base, c.Files)
}

// resolve finds a branch, a tag or a commit; branch is the branch to open a pull request
// against (the default branch for a tag or a commit).
func (c *Clone) resolve(ctx context.Context, revision string) (plumbing.Hash, string, error) {
	if ref, err := c.repo.Reference(plumbing.NewRemoteReferenceName("origin", revision), true); err == nil {
		return ref.Hash(), revision, nil
	}
	if ref, err := c.repo.Reference(plumbing.NewBranchReferenceName(revision), true); err == nil {
		return ref.Hash(), revision, nil
	}
	def := c.Branch
	err := c.repo.FetchContext(ctx, &git.FetchOptions{
		RefSpecs: []config.RefSpec{"+refs/tags/*:refs/tags/*"}, Auth: c.auth.Method, CABundle: c.auth.CABundle,
		ClientCert: c.auth.ClientCert, ClientKey: c.auth.ClientKey,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return plumbing.ZeroHash, "", fmt.Errorf("fetching the tags of %s: %w", redact(c.URL), err)
	}
	h, err := c.repo.ResolveRevision(plumbing.Revision(revision))
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("revision %q not found in %s", revision, redact(c.URL))
	}
	if tag, err := c.repo.TagObject(*h); err == nil {
		return tag.Target, def, nil
	}
	return *h, def, nil
}

// Close removes the clone.
func (c *Clone) Close() {
	if !c.closed {
		c.closed = true
		_ = os.RemoveAll(c.tmp)
	}
}

// writeFiles writes the commit's regular files below dir (symlinks and submodules skipped).
func writeFiles(ctx context.Context, commit *object.Commit, dir string) error {
	t, err := commit.Tree()
	if err != nil {
		return fmt.Errorf("reading the tree of %s: %w", commit.Hash, err)
	}
	return t.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := filepath.FromSlash(f.Name)
		if !f.Mode.IsFile() || f.Mode == filemode.Symlink || !filepath.IsLocal(name) {
			return nil
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
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// Commit commits changes on top of parent as a new commit (the working files are not touched)
// and points branch at it. It returns the commit.
func (c *Clone) Commit(parent *object.Commit, changes Changes, message string, author object.Signature, branch string) (*object.Commit, error) {
	tree, err := parent.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", parent.Hash, err)
	}
	files := map[string][]byte(changes)
	treeHash, err := c.writeTree(tree, files)
	if err != nil {
		return nil, err
	}
	commit := &object.Commit{
		Author: author, Committer: author, Message: message,
		TreeHash: treeHash, ParentHashes: []plumbing.Hash{parent.Hash},
	}
	obj := c.repo.Storer.NewEncodedObject()
	if err := commit.Encode(obj); err != nil {
		return nil, fmt.Errorf("encoding the commit: %w", err)
	}
	h, err := c.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return nil, fmt.Errorf("writing the commit: %w", err)
	}
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), h)
	if err := c.repo.Storer.SetReference(ref); err != nil {
		return nil, fmt.Errorf("creating branch %s: %w", branch, err)
	}
	return c.repo.CommitObject(h)
}

// writeTree writes tree with files (paths relative to it) replaced or added, and returns the
// new tree's hash.
func (c *Clone) writeTree(tree *object.Tree, files map[string][]byte) (plumbing.Hash, error) {
	entries := slices.Clone(tree.Entries)
	below := map[string]map[string][]byte{}
	set := func(e object.TreeEntry) {
		i := slices.IndexFunc(entries, func(x object.TreeEntry) bool { return x.Name == e.Name })
		if i < 0 {
			entries = append(entries, e)
			return
		}
		entries[i] = e
	}
	for p, data := range files {
		dir, rest, nested := strings.Cut(p, "/")
		if nested {
			if below[dir] == nil {
				below[dir] = map[string][]byte{}
			}
			below[dir][rest] = data
			continue
		}
		obj := c.repo.Storer.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, err := obj.Writer()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := w.Write(data); err != nil {
			return plumbing.ZeroHash, err
		}
		if err := w.Close(); err != nil {
			return plumbing.ZeroHash, err
		}
		h, err := c.repo.Storer.SetEncodedObject(obj)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("writing %s: %w", p, err)
		}
		mode := filemode.Regular
		if i := slices.IndexFunc(entries, func(x object.TreeEntry) bool { return x.Name == p }); i >= 0 {
			mode = entries[i].Mode
		}
		set(object.TreeEntry{Name: p, Mode: mode, Hash: h})
	}
	for dir, sub := range below {
		subtree := &object.Tree{}
		if i := slices.IndexFunc(entries, func(x object.TreeEntry) bool { return x.Name == dir && x.Mode == filemode.Dir }); i >= 0 {
			t, err := c.repo.TreeObject(entries[i].Hash)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("reading %s: %w", dir, err)
			}
			subtree = t
		}
		h, err := c.writeTree(subtree, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		set(object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
	}
	// Git orders entries by name, a directory's name as if it ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	slices.SortFunc(entries, func(a, b object.TreeEntry) int { return strings.Compare(key(a), key(b)) })
	t := &object.Tree{Entries: entries}
	obj := c.repo.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding a tree: %w", err)
	}
	return c.repo.Storer.SetEncodedObject(obj)
}

// Diff is the unified diff from one commit to another, as git diff prints it.
func Diff(from, to *object.Commit) (string, error) {
	patch, err := from.Patch(to)
	if err != nil {
		return "", fmt.Errorf("diffing %s..%s: %w", from.Hash, to.Hash, err)
	}
	return patch.String(), nil
}

// Push sends branch to the remote as a new branch. A branch the server already has with other
// commits, or a refusal, is ErrPushRejected; the local branch is removed again then.
func (c *Clone) Push(ctx context.Context, branch string) error {
	ref := config.RefSpec(fmt.Sprintf("refs/heads/%s:refs/heads/%s", branch, branch))
	err := c.repo.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin", RefSpecs: []config.RefSpec{ref}, Auth: c.auth.Method, CABundle: c.auth.CABundle,
		ClientCert: c.auth.ClientCert, ClientKey: c.auth.ClientKey,
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, git.ErrNonFastForwardUpdate) || strings.Contains(err.Error(), "non-fast-forward"):
		return fmt.Errorf("%w: branch %s already exists on %s with other commits: merge or delete it, or give --branch another name", ErrPushRejected, branch, redact(c.URL))
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s refused the credentials (%v): check the GitSource's credentials Secret or DRIFTGATE_GIT_USERNAME/DRIFTGATE_GIT_PASSWORD", ErrPushRejected, redact(c.URL), err)
	}
	return fmt.Errorf("%w: pushing %s to %s: %v", ErrPushRejected, branch, redact(c.URL), err)
}

// Transfer copies branch into the local repository at dir (a person's checkout) without
// touching its work tree; it fails, changing nothing, when dir already has the branch.
func (c *Clone) Transfer(ctx context.Context, dir, branch string) error {
	local, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return fmt.Errorf("%s is not a Git repository: run in a checkout of %s, give --repo, or use --push: %w", dir, redact(c.URL), err)
	}
	name := plumbing.NewBranchReferenceName(branch)
	if _, err := local.Reference(name, false); err == nil {
		return fmt.Errorf("branch %s already exists in %s: delete it or give --branch another name", branch, dir)
	}
	rem := git.NewRemote(local.Storer, &config.RemoteConfig{Name: "driftgate-backport", URLs: []string{c.Dir}})
	err = rem.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{config.RefSpec(fmt.Sprintf("%s:%s", name, name))}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("creating branch %s in %s: %w", branch, dir, err)
	}
	return nil
}

// redact hides a password in a URL.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok || strings.Contains(userinfo, "/") {
		return url
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":(redacted)@" + host
	}
	return url
}
