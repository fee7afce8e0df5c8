package source

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// commit resolves rev in the remote, as git rev-parse would, and returns its commit, fetching
// what the clones lack.
func (r remote) commit(ctx context.Context, rev string) (*object.Commit, error) {
	ra, err := r.auth.forURL(r.url, filepath.Dir(r.dir))
	if err != nil {
		return nil, err
	}
	if isFullSHA(rev) {
		return r.commitBySHA(ctx, ra, rev)
	}
	repo, err := r.open(false)
	if err != nil {
		return nil, err
	}
	refs, err := listRefs(ctx, repo, ra)
	if err != nil {
		return nil, r.auth.scrub(fetchError(r.url, err))
	}
	name, err := r.pickRef(refs, rev)
	switch {
	case err == nil:
		return r.fetchRef(ctx, repo, ra, refs, name)
	case looksLikeSHA(rev):
		return r.commitBySHA(ctx, ra, rev)
	}
	return nil, err
}

// pickRef finds rev among the remote's refs: the default branch for "" and "HEAD", else by
// git's rules (refs/…, refs/tags/…, refs/heads/…).
func (r remote) pickRef(refs map[plumbing.ReferenceName]*plumbing.Reference, rev string) (plumbing.ReferenceName, error) {
	if rev == "" || rev == "HEAD" {
		head, ok := refs[plumbing.HEAD]
		if !ok || head.Type() != plumbing.SymbolicReference || refs[head.Target()] == nil {
			return "", fmt.Errorf("fetch %s: the remote names no default branch (HEAD): set a revision", redactURL(r.url))
		}
		return head.Target(), nil
	}
	for _, rule := range plumbing.RefRevParseRules {
		name := plumbing.ReferenceName(fmt.Sprintf(rule, rev))
		if ref, ok := refs[name]; ok && ref.Type() == plumbing.HashReference {
			return name, nil
		}
	}
	return "", notFound(rev, redactURL(r.url))
}

// fetchRef returns the commit of the remote ref name, fetching it (depth 1) unless the clone
// already has the commit the remote listed.
func (r remote) fetchRef(ctx context.Context, repo *git.Repository, ra remoteAuth,
	refs map[plumbing.ReferenceName]*plumbing.Reference, name plumbing.ReferenceName) (*object.Commit, error) {
	listed := refs[name].Hash()
	if peeled, ok := refs[name+"^{}"]; ok {
		listed = peeled.Hash()
	}
	if c, err := repo.CommitObject(listed); err == nil {
		return c, nil
	}
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", name, name))
	if err := fetch(ctx, repo, ra, 1, spec); err != nil {
		return nil, r.auth.scrub(fetchError(r.url, err))
	}
	ref, err := repo.Reference(name, true)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %s was not fetched: %w", redactURL(r.url), name, err)
	}
	return peel(repo, ref.Hash())
}

// commitBySHA looks a commit up in the full clone, fetching all branches and tags when it is
// not there yet.
func (r remote) commitBySHA(ctx context.Context, ra remoteAuth, sha string) (*object.Commit, error) {
	repo, err := r.open(true)
	if err != nil {
		return nil, err
	}
	if c, ok := findCommit(repo, sha); ok {
		return c, nil
	}
	err = fetch(ctx, repo, ra, 0, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	if err != nil {
		return nil, r.auth.scrub(fetchError(r.url, err))
	}
	if c, ok := findCommit(repo, sha); ok {
		return c, nil
	}
	return nil, notFound(sha, redactURL(r.url))
}

// findCommit finds the commit of a full or abbreviated SHA.
func findCommit(repo *git.Repository, sha string) (*object.Commit, bool) {
	h, err := repo.ResolveRevision(plumbing.Revision(strings.ToLower(sha)))
	if err != nil {
		return nil, false
	}
	c, err := repo.CommitObject(*h)
	return c, err == nil
}

// localCommit resolves rev ("" is HEAD) in a local repository, as git rev-parse would.
func localCommit(repo *git.Repository, rev, where string) (*object.Commit, error) {
	if rev == "" {
		rev = "HEAD"
	}
	if !isFullSHA(rev) {
		for _, rule := range plumbing.RefRevParseRules {
			if ref, err := repo.Reference(plumbing.ReferenceName(fmt.Sprintf(rule, rev)), true); err == nil {
				return peel(repo, ref.Hash())
			}
		}
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, notFound(rev, where)
	}
	return peel(repo, *h)
}

// peel returns the commit h names, directly or through annotated tags.
func peel(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	for range 10 {
		if c, err := repo.CommitObject(h); err == nil {
			return c, nil
		}
		tag, err := repo.TagObject(h)
		if err != nil {
			return nil, fmt.Errorf("object %s is not a commit: %w", h, err)
		}
		h = tag.Target
	}
	return nil, fmt.Errorf("object %s: too many nested tags", h)
}

func notFound(rev, where string) error {
	return fmt.Errorf("revision %q not found in %s: %w", rev, where, ErrRevisionNotFound)
}
