package source

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sentinel is an error constant, matched with errors.Is.
type sentinel string

func (e sentinel) Error() string { return string(e) }

const (
	// ErrRevisionNotFound: the revision names no branch, tag or commit of the repository.
	ErrRevisionNotFound = sentinel("no such branch, tag or commit")
	// ErrInvalidPath: Spec.Path is absolute or leaves the repository.
	ErrInvalidPath = sentinel("must be a relative path inside the repository")
	// ErrPathNotFound: Spec.Path does not exist at the fetched revision.
	ErrPathNotFound = sentinel("no such file or directory")
	// ErrRemoteResource: a kustomization references a remote base, resource or file.
	ErrRemoteResource = sentinel("remote bases and resources are not supported (rendering is offline): " +
		"vendor them into the repository")
	// ErrOutsideRepository: a kustomization in a Git repository references a directory outside it.
	ErrOutsideRepository = sentinel("points outside the repository")
)

// fetchError explains a failed list or fetch of url and says what to do about it. Known causes
// get a one-line message (the server's reason, which may span lines, stays in the chain).
func fetchError(rawURL string, err error) error {
	where := redactURL(rawURL)
	if advice := fetchAdvice(err); advice != "" {
		return &cleanError{msg: "fetch " + where + ": " + advice, err: err}
	}
	return fmt.Errorf("fetch %s: %w", where, err)
}

func fetchAdvice(err error) string {
	var keyErr *knownhosts.KeyError
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return "authentication required: set a credentials Secret with username/password " +
			"(or identity and known_hosts for ssh)"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return "authorization failed: the credentials were refused or have no read access"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return "repository not found: check the URL (a private repository also needs credentials)"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return "the repository is empty: push a commit first"
	case errors.As(err, &keyErr) && len(keyErr.Want) == 0:
		return "host key is not in known_hosts: add the server's key (ssh-keyscan HOST) to known_hosts"
	case errors.As(err, &keyErr):
		return "host key does not match known_hosts: check the server, then update known_hosts"
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		return "ssh authentication failed: the server refused the identity key (is it a deploy key with read access?)"
	}
	return ""
}

// redactURL hides a password embedded in a URL.
func redactURL(rawURL string) string {
	if !strings.Contains(rawURL, "://") {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// cleanError rewrites an error's text (to drop secrets or temporary paths) and keeps the chain.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }
func (e *cleanError) Unwrap() error { return e.err }

// scrub replaces each old string in err's text with its new one (pairs, as strings.NewReplacer);
// empty old strings are ignored.
func scrub(err error, oldnew ...string) error {
	var pairs []string
	for i := 0; i+1 < len(oldnew); i += 2 {
		if oldnew[i] != "" {
			pairs = append(pairs, oldnew[i], oldnew[i+1])
		}
	}
	if err == nil || len(pairs) == 0 {
		return err
	}
	msg := strings.NewReplacer(pairs...).Replace(err.Error())
	if msg == err.Error() {
		return err
	}
	return &cleanError{msg: msg, err: err}
}
