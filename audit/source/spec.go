package source

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/driftgate/driftgate/audit"
)

// Spec says what to fetch.
type Spec struct {
	// URL is https://…, http://…, ssh://…, git@host:org/repo.git, file:///path, or a local path:
	// the top of a Git work tree (or a bare repository), or a plain directory.
	URL string
	// Revision is a branch, tag, full ref name or commit SHA (full, or abbreviated to at least
	// 7 hex digits); empty or "HEAD" means the remote's default branch (a local repository's HEAD).
	Revision string
	// Path is the directory (or file) inside the repository to render; "" is the root. It must
	// be relative and stay inside the repository.
	Path string
	// Auth holds the credentials for remote URLs.
	Auth Auth
}

// Snapshot is what a Fetch found.
type Snapshot struct {
	// Revision is the full commit SHA for Git; for a plain directory "sha256:" and 12 hex digits
	// of a digest over its file names and contents, so callers can tell when it changed.
	Revision string
	// Objects are the rendered manifests; each Source names the file (relative to the
	// repository or directory root) that defines it, also for objects a kustomization builds.
	Objects []audit.Object
}

// cleanPath checks Spec.Path and returns it cleaned, with slashes ("." for the root).
func cleanPath(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	slashed := filepath.ToSlash(p)
	if path.IsAbs(slashed) || filepath.IsAbs(p) || !filepath.IsLocal(filepath.FromSlash(slashed)) {
		return "", fmt.Errorf("path %q: %w", p, ErrInvalidPath)
	}
	return path.Clean(slashed), nil
}

// isRemote reports whether a Spec.URL is cloned: it has a scheme (file:// included) or is
// scp-like (host:path, a colon before any slash, as git decides).
func isRemote(rawURL string) bool {
	if strings.Contains(rawURL, "://") {
		return true
	}
	colon := strings.Index(rawURL, ":")
	slash := strings.Index(rawURL, "/")
	return colon > 1 && (slash < 0 || colon < slash)
}

// looksLikeSHA reports whether rev could be a commit SHA (7 to 40 hex digits).
func looksLikeSHA(rev string) bool {
	if len(rev) < 7 || len(rev) > 40 {
		return false
	}
	for _, c := range rev {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// isFullSHA reports whether rev is a full 40-hex commit SHA.
func isFullSHA(rev string) bool { return len(rev) == 40 && looksLikeSHA(rev) }

// ShortRevision is the revision as reports show it: a commit SHA cut to 12 hex digits; a
// directory digest as it is.
func (s Snapshot) ShortRevision() string {
	if len(s.Revision) == 40 {
		return s.Revision[:12]
	}
	return s.Revision
}
