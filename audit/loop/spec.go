package loop

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitclient "github.com/go-git/go-git/v5/plumbing/transport/client"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/source"
)

// invalidSpec is an error of a GitSource's spec that no retry can fix: the source is Stalled
// until its spec changes (a new generation).
type invalidSpec struct{ err error }

func (e *invalidSpec) Error() string { return e.err.Error() }
func (e *invalidSpec) Unwrap() error { return e.err }

// specInvalid marks err as an error of the spec (see terminal).
func specInvalid(err error) error { return &invalidSpec{err: err} }

// checkSpec finds what is wrong with the spec before anything is fetched: a URL that cannot be
// parsed or whose scheme Git cannot fetch, a credentials Secret that cannot be named. A local
// path is not checked here: a volume may be mounted later.
func checkSpec(spec v1alpha1.GitSourceSpec) error {
	if ref := spec.SourceRef; ref != nil {
		return checkSourceRef(ref)
	}
	if err := checkURL(spec.URL); err != nil {
		return specInvalid(fmt.Errorf("spec.url: %w", err))
	}
	if ref := spec.SecretRef; ref != nil {
		if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
			return specInvalid(fmt.Errorf("spec.secretRef.name %q: %s", ref.Name, strings.Join(errs, "; ")))
		}
		if ref.Namespace != "" {
			if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
				return specInvalid(fmt.Errorf("spec.secretRef.namespace %q: %s", ref.Namespace, strings.Join(errs, "; ")))
			}
		}
	}
	return nil
}

// checkURL checks a URL with a scheme (scheme://…) as Git's transport reads it. scp-like URLs
// (git@host:org/repo) and local paths always parse.
func checkURL(raw string) error {
	if !strings.Contains(raw, "://") {
		return nil
	}
	ep, err := transport.NewEndpoint(raw)
	if err != nil {
		// url.Error quotes the URL, which may hold a password: say only what is wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("not a valid URL: %w", err)
	}
	if _, ok := gitclient.Protocols[ep.Protocol]; !ok {
		return fmt.Errorf("unsupported scheme %q: want https, http, ssh, git or file", ep.Protocol)
	}
	if ep.Protocol != "file" && ep.Host == "" {
		return fmt.Errorf("no host in the %s URL", ep.Protocol)
	}
	return nil
}

// terminal reports whether a fetch error comes from the spec, so that fetching again cannot
// succeed until the spec changes: the checks of checkSpec, a path that is absolute or leaves
// the repository, and, when the revision is a full commit SHA (whose content never changes),
// a path the commit lacks or a kustomization that cannot be rendered offline. Everything else
// (the network, the server, credentials, a Secret that is missing or incomplete, a branch that
// does not have the path yet) is retried on the source's interval: driftgate watches neither
// Secrets nor the repository, so fetching again is how it sees a fix.
func terminal(spec v1alpha1.GitSourceSpec, err error) bool {
	var inv *invalidSpec
	switch {
	case errors.As(err, &inv), errors.Is(err, source.ErrInvalidPath):
		return true
	case !pinned(spec.Revision):
		return false
	}
	return errors.Is(err, source.ErrPathNotFound) || errors.Is(err, source.ErrRemoteResource) ||
		errors.Is(err, source.ErrOutsideRepository)
}

// pinned reports whether a revision is a full commit SHA.
func pinned(rev string) bool {
	if len(rev) != 40 {
		return false
	}
	for _, c := range rev {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// checkSourceRef checks a sourceRef names an object driftgate can audit.
func checkSourceRef(ref *v1alpha1.GitOpsReference) error {
	switch ref.Kind {
	case v1alpha1.SourceKindKustomization, v1alpha1.SourceKindHelmRelease, v1alpha1.SourceKindApplication:
	default:
		return specInvalid(fmt.Errorf("spec.sourceRef.kind %q: want %s, %s or %s", ref.Kind,
			v1alpha1.SourceKindKustomization, v1alpha1.SourceKindHelmRelease, v1alpha1.SourceKindApplication))
	}
	if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
		return specInvalid(fmt.Errorf("spec.sourceRef.namespace %q: %s", ref.Namespace, strings.Join(errs, "; ")))
	}
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		return specInvalid(fmt.Errorf("spec.sourceRef.name %q: %s", ref.Name, strings.Join(errs, "; ")))
	}
	return nil
}
