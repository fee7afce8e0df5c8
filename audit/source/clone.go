package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

const originName = "origin"

// remote is one remote URL and its clones: a shallow one at dir for branches and tags, a full
// one at dir+"-full" for commit SHAs.
type remote struct {
	url  string
	auth Auth
	dir  string
}

// cacheKey names the clone directory of a URL: the repository's name and a hash of the URL.
func cacheKey(rawURL string) string {
	sum := sha256.Sum256([]byte(rawURL))
	return repoName(rawURL) + "-" + hex.EncodeToString(sum[:])[:16]
}

// repoName is the last element of the URL's path without ".git", reduced to safe characters.
func repoName(rawURL string) string {
	var p string
	switch u, err := url.Parse(rawURL); {
	case strings.Contains(rawURL, "://") && err != nil:
		return "repo"
	case strings.Contains(rawURL, "://"):
		p = u.Path
	default: // scp-like host:path
		_, p, _ = strings.Cut(rawURL, ":")
	}
	name := strings.TrimSuffix(path.Base(strings.TrimRight(p, "/")), ".git")
	safe := strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return r
		}
		return -1
	}, name)
	if len(safe) > 40 {
		safe = safe[:40]
	}
	if strings.Trim(safe, ".") == "" {
		return "repo"
	}
	return safe
}

// open opens a clone of the remote, or makes an empty one. A damaged clone is made anew.
func (r remote) open(full bool) (*git.Repository, error) {
	dir := r.dir
	if full {
		dir += "-full"
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("clearing the clone %s: %w", dir, err)
		}
		if repo, err = git.PlainInit(dir, true); err != nil {
			return nil, fmt.Errorf("creating the clone %s: %w", dir, err)
		}
	}
	if _, err := repo.Remote(originName); errors.Is(err, git.ErrRemoteNotFound) {
		_, err = repo.CreateRemote(&config.RemoteConfig{Name: originName, URLs: []string{r.url}})
		if err != nil {
			return nil, fmt.Errorf("creating the clone %s: %w", dir, err)
		}
	}
	return repo, nil
}

// listRefs lists the remote's refs, peeled tags included (as name^{}).
func listRefs(ctx context.Context, repo *git.Repository, ra remoteAuth) (map[plumbing.ReferenceName]*plumbing.Reference, error) {
	rem, err := repo.Remote(originName)
	if err != nil {
		return nil, err
	}
	list, err := rem.ListContext(ctx, &git.ListOptions{
		Auth: ra.method, CABundle: ra.caBundle, ClientCert: ra.clientCert, ClientKey: ra.clientKey,
		PeelingOption: git.AppendPeeled,
	})
	if err != nil {
		return nil, err
	}
	refs := make(map[plumbing.ReferenceName]*plumbing.Reference, len(list))
	for _, ref := range list {
		refs[ref.Name()] = ref
	}
	return refs, nil
}

// fetch fetches specs from the remote; depth 0 fetches whole histories.
func fetch(ctx context.Context, repo *git.Repository, ra remoteAuth, depth int, specs ...config.RefSpec) error {
	err := repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: originName, RefSpecs: specs, Depth: depth, Tags: git.NoTags, Force: true,
		Auth: ra.method, CABundle: ra.caBundle, ClientCert: ra.clientCert, ClientKey: ra.clientKey,
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}
