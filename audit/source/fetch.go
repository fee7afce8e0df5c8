package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/audit"
)

// Fetcher fetches and renders sources. Use one Fetcher per Dir, by pointer; it is safe for
// concurrent use: Fetch calls for different URLs run in parallel, calls for the same URL one at a
// time, and renders one at a time.
type Fetcher struct {
	// Dir holds the clones, a bare repository per URL (and a second, full one once a commit
	// SHA was asked for), reused by later calls (fetch, not clone), and the temporary render
	// directories. Empty: each Fetch of a remote URL clones into
	// a temporary directory and removes it; renders go to the system's temporary directory.
	Dir string
	// HTTP fetches Flux artifacts from source-controller; nil is http.DefaultClient.
	HTTP *http.Client

	mu       sync.Mutex
	locks    map[string]chan struct{}
	renderMu sync.Mutex
}

// Fetch fetches s and renders its Path. Errors are one line naming what failed and what to do;
// they wrap ErrRevisionNotFound, ErrInvalidPath, ErrPathNotFound, ErrRemoteResource,
// ErrOutsideRepository, go-git's transport errors (transport.ErrAuthenticationRequired, …) and
// ctx's error where those apply.
func (f *Fetcher) Fetch(ctx context.Context, s Spec) (Snapshot, error) {
	if s.URL == "" {
		return Snapshot{}, fmt.Errorf("no source: set a Git URL or a directory")
	}
	sub, err := cleanPath(s.Path)
	if err != nil {
		return Snapshot{}, err
	}
	if isRemote(s.URL) {
		return f.fetchRemote(ctx, s, sub)
	}
	return f.fetchLocal(ctx, s, sub)
}

func (f *Fetcher) fetchRemote(ctx context.Context, s Spec, sub string) (Snapshot, error) {
	key := cacheKey(s.URL)
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return Snapshot{}, fmt.Errorf("fetch %s: %w", redactURL(s.URL), err)
	}
	defer unlock()
	cache, cleanup, err := f.cacheDir()
	if err != nil {
		return Snapshot{}, err
	}
	defer cleanup()
	r := remote{url: s.URL, auth: s.Auth, dir: filepath.Join(cache, key)}
	commit, err := r.commit(ctx, s.Revision)
	if err != nil {
		return Snapshot{}, err
	}
	return f.snapshot(ctx, commit, sub, redactURL(s.URL))
}

// lock takes the lock of one clone, or gives up when ctx ends.
func (f *Fetcher) lock(ctx context.Context, key string) (func(), error) {
	f.mu.Lock()
	if f.locks == nil {
		f.locks = map[string]chan struct{}{}
	}
	l, ok := f.locks[key]
	if !ok {
		l = make(chan struct{}, 1)
		f.locks[key] = l
	}
	f.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cacheDir returns the directory for clones: Dir, or a temporary one removed by cleanup.
func (f *Fetcher) cacheDir() (dir string, cleanup func(), err error) {
	if f.Dir != "" {
		if err := os.MkdirAll(f.Dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("creating the clone directory: %w", err)
		}
		return f.Dir, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "driftgate-clone-")
	if err != nil {
		return "", nil, fmt.Errorf("creating a clone directory: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// tempDir makes a directory for one render, below Dir when set.
func (f *Fetcher) tempDir() (string, error) {
	base := f.Dir
	if base != "" {
		if err := os.MkdirAll(base, 0o755); err != nil {
			return "", fmt.Errorf("creating the work directory: %w", err)
		}
	}
	dir, err := os.MkdirTemp(base, "render-")
	if err != nil {
		return "", fmt.Errorf("creating a render directory: %w", err)
	}
	return dir, nil
}

// snapshot writes commit's tree to a temporary directory and renders sub in it; where names the
// repository in errors.
func (f *Fetcher) snapshot(ctx context.Context, commit *object.Commit, sub, where string) (Snapshot, error) {
	dir, err := f.tempDir()
	if err != nil {
		return Snapshot{}, err
	}
	defer os.RemoveAll(dir)
	if _, err := writeTree(ctx, commit, dir); err != nil { // links leading outside are left out
		return Snapshot{}, fmt.Errorf("reading %s at %s: %w", where, commit.Hash, err)
	}
	at := fmt.Sprintf("%s at %s", where, commit.Hash.String()[:12])
	objs, err := f.render(tree{root: dir, confined: true}, sub, at)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Revision: commit.Hash.String(), Objects: objs}, nil
}

// render renders sub below t.root, one render at a time; where names the source in errors.
func (f *Fetcher) render(t tree, sub, where string) ([]audit.Object, error) {
	target := filepath.Join(t.root, filepath.FromSlash(sub))
	if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("path %q in %s: %w", sub, where, ErrPathNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("path %q in %s: %w", sub, where, err)
	}
	f.renderMu.Lock()
	defer f.renderMu.Unlock()
	return t.render(target)
}
