// Package source fetches the desired state for an audit — manifests in a Git repository or in a
// local directory — and renders it into audit objects: plain YAML/JSON manifests as audit.Load
// reads them, and kustomizations built in-process with kustomize. `driftgate audit --source` and
// the audit loop of `driftgate serve` (GitSource resources) both use it.
//
// What is read:
//
//   - A remote URL (https://, http://, ssh://, git@host:org/repo.git, file://) is cloned into a
//     bare repository below Fetcher.Dir, one per URL, and later calls fetch into it rather than
//     clone again. Branches and tags are fetched shallow (depth 1); a commit SHA is looked up in
//     a second, full clone of the same URL (so shallow history never hides it) that is fetched in
//     full only when the commit is not there yet: a pinned SHA costs no network after the first
//     fetch. With an empty Fetcher.Dir each call clones into a temporary directory it removes.
//   - A local path that is the top of a Git work tree (or a bare repository) is opened in place,
//     never cloned. The requested revision (HEAD by default) is read from the commit's tree, not
//     from the work tree, so uncommitted and untracked files do not count.
//   - Any other local directory is read from disk as it is; its Snapshot.Revision is
//     "sha256:" and the first 12 hex digits of a digest over the names and contents of its
//     non-hidden files. A Revision is refused for such a directory. A directory inside a work
//     tree that is not its top is such a plain directory (use Spec.Path to select a
//     subdirectory of a repository instead).
//
// Revisions resolve as git rev-parse does: a full 40-hex SHA is a commit; otherwise a ref by
// git's rules (refs/…, tags before branches), then an abbreviated SHA (at least 7 hex digits).
// Empty or "HEAD" means the remote's default branch (or the local repository's HEAD).
//
// Rendering a Git revision writes the commit's tree to a temporary directory (below
// Fetcher.Dir when set) and renders Spec.Path inside it; symlinks and submodules are skipped.
// A kustomization there may only reference directories inside the repository, and no
// kustomization may reference a remote base, resource or file (URLs, git@…, github.com/…):
// rendering never uses the network, and such references fail at once with ErrRemoteResource
// rather than wait on a clone. Local plain directories and Render are the caller's own files and
// are not confined. Renders of one Fetcher run one at a time, because kustomize keeps its OpenAPI
// schema in process-wide state; Render itself does not serialize.
//
// Each object's Source is "<file> (<what>)", with file relative to the repository root (for Git;
// Spec.Path included) or to the rendered directory: for a plain manifest that file and the
// document, for a kustomization the file in Git that defines the object and Kind/name or
// Kind/namespace/name — the file where a change (a backport) belongs. Kustomizations are built
// with kustomize's origin tracking to find it: a resource names its own file, also when it comes
// from a base or component (base/deployment.yaml, whichever overlay was built; patches do not
// change it), and a generated object (configMapGenerator, secretGenerator) names the
// kustomization file that configures it. The kustomization file on disk is not changed: kustomize
// reads it with originAnnotations added to buildMetadata, and the config.kubernetes.io/origin
// annotation this adds is removed again, so the content is what a plain build gives. A
// kustomization that asks for originAnnotations itself keeps the annotation, as Flux applies it.
// When kustomize gives no local file (a kustomization file the addition cannot be made to, such
// as one with an anchored buildMetadata), Source names the kustomization file. Sources never
// name the temporary checkout: a file outside the repository counts as having no origin.
//
// Credentials come from Auth (see AuthFromSecret, which reads the keys of Flux's GitRepository
// Secrets). SSH needs known_hosts unless Auth.InsecureIgnoreHostKey is set. Errors are one line
// saying what failed and what to do; they never contain secret values, and URLs in them have any
// embedded password redacted.
package source
