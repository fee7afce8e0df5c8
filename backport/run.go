package backport

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
)

// Source is the Git side of a GitSource: where its manifests are and how to reach them.
type Source struct {
	Name, URL, Revision, Path string
	// DefaultNamespace is given to namespaced manifests without a namespace ("default").
	DefaultNamespace string
	Auth             source.Auth
	// Flux is set for a GitSource with spec.sourceRef: URL, Revision and Path are then those of
	// its Kustomization's GitRepository and spec.path, and Git renders as Flux renders it.
	Flux *Flux
	// Helm is set for a GitSource with a HelmRelease sourceRef: URL, Revision and Path are those
	// of the Kustomization that applies the HelmRelease (or of the chart's GitRepository when
	// none does), and Git renders as helm-controller renders the release.
	Helm *Helm
}

// render renders the source's path in the clone as the audit renders it: plain manifests and
// kustomizations, or as kustomize-controller renders the Flux Kustomization.
func (src Source) render(ctx context.Context, clone *Clone) (source.Snapshot, error) {
	rev := clone.Base.Hash.String()
	if src.Helm != nil {
		l, err := src.Helm.locator(ctx, clone, src.DefaultNamespace)
		if err != nil {
			return source.Snapshot{}, fmt.Errorf("rendering GitSource %s (%s): %w", src.Name, src.Helm.name(), err)
		}
		return source.Snapshot{Revision: rev, Objects: l.objects}, nil
	}
	if src.Flux != nil {
		snap, err := renderFlux(ctx, clone.Files, nil, src.Flux, src.Flux.Kustomization, rev)
		if err != nil {
			return snap, fmt.Errorf("rendering GitSource %s (%s): %w", src.Name, src.Flux.name(), err)
		}
		return snap, nil
	}
	snap, err := (&source.Fetcher{}).Fetch(ctx, source.Spec{URL: clone.Dir, Revision: rev, Path: src.Path})
	if err != nil {
		return snap, fmt.Errorf("rendering GitSource %s: %w", src.Name, err)
	}
	return snap, nil
}

// Options say how a backport is committed and where it goes.
type Options struct {
	// Branch is the new branch; empty: driftgate/backport-<ticket>.
	Branch string
	// Message is added to each commit message, after its subject.
	Message string
	Author  object.Signature
	// Push sends the branch to the source's remote; else it is created in the checkout at Repo.
	Push bool
	// DryRun computes the diff and changes nothing anywhere.
	DryRun bool
	// Repo is a person's checkout that gets the branch when not pushing.
	Repo string
	// Forge names the forge for the pull-request URL; empty: guessed from the remote's host.
	Forge string
	// Locator places values; nil: Files (plain manifests and kustomizations). It is given the
	// base revision's files and the source's path.
	Locator func(files fs.FS, path string) Locator
}

// Commit is one commit of a backport.
type Commit struct {
	Ticket   string `json:"ticket"`
	Revision string `json:"revision"`
}

// Result is what a backport did for one source.
type Result struct {
	GitSource string `json:"gitSource"`
	URL       string `json:"url"`
	// Base is the branch the backport starts from (the pull request's base), at BaseRevision.
	Base         string   `json:"base"`
	BaseRevision string   `json:"baseRevision"`
	Branch       string   `json:"branch,omitempty"`
	Commits      []Commit `json:"commits"`
	Files        []string `json:"files"`
	Pushed       bool     `json:"pushed"`
	// PullRequestURL opens a pull (merge) request for the branch; empty when the forge is not known.
	PullRequestURL string `json:"pullRequestURL,omitempty"`
	// Diff is the unified diff of the whole backport (with DryRun).
	Diff  string       `json:"diff,omitempty"`
	Edits []EditResult `json:"edits"`
}

// LiveFunc reads an edit's object live; nil when it is gone.
type LiveFunc func(ctx context.Context, ref v1alpha1.ObjectReference) (*audit.Object, error)

// Run backports edits whose objects src defines: one commit per ticket on a new branch, from the
// head of the source's revision. grants are the edits' grants by name (for the messages).
func Run(ctx context.Context, src Source, edits []v1alpha1.BreakGlassEdit, grants map[string]*v1alpha1.BreakGlassGrant, live LiveFunc, opts Options) (*Result, error) {
	clone, err := CloneSource(ctx, src.URL, src.Revision, src.Auth)
	if err != nil {
		return nil, err
	}
	defer clone.Close()
	res := &Result{GitSource: src.Name, URL: redact(src.URL), Base: clone.Branch, BaseRevision: clone.Base.Hash.String(), Commits: []Commit{}, Files: []string{}}
	var helm *helmLocator
	var snap source.Snapshot
	if src.Helm != nil {
		helm, err = src.Helm.locator(ctx, clone, src.DefaultNamespace)
		if err != nil {
			return nil, fmt.Errorf("rendering GitSource %s (%s): %w", src.Name, src.Helm.name(), err)
		}
		snap.Objects = helm.objects
	} else if snap, err = src.render(ctx, clone); err != nil {
		return nil, err
	}
	desired := index(snap.Objects, src.DefaultNamespace)
	fsys := os.DirFS(clone.Files)
	var loc Locator = Files{FS: fsys, Path: cleanSub(src.Path)}
	switch {
	case opts.Locator != nil:
		loc = opts.Locator(fsys, cleanSub(src.Path))
	case helm != nil:
		loc = helm
	}
	if src.Flux != nil {
		rev := clone.Base.Hash.String()
		loc = fluxLocator{next: loc, flux: src.Flux,
			ablations: ablations(ctx, clone.Files, src.Flux, rev, src.DefaultNamespace)}
	}
	byTicket := map[string][]Target{}
	for i := range edits {
		e := &edits[i]
		t := Target{Edit: e, Desired: desired[keyOf(e.Spec.Object)]}
		if t.Live, err = live(ctx, e.Spec.Object); err != nil {
			return nil, err
		}
		byTicket[e.Spec.Ticket] = append(byTicket[e.Spec.Ticket], t)
	}
	tickets := slices.Sorted(maps.Keys(byTicket))
	if opts.Branch == "" {
		opts.Branch = DefaultBranch(tickets)
	}
	all, parent := Changes{}, clone.Base
	for _, ticket := range tickets {
		before := maps.Clone(all)
		results := Plan(fsys, loc, byTicket[ticket], all)
		if src.Flux != nil {
			if results, err = src.verified(ctx, clone, fsys, loc, byTicket[ticket], results, before, all); err != nil {
				return nil, err
			}
		}
		if changed(before, all) {
			msg := Message(ticket, opts.Message, grantsOf(results, grants), results)
			c, err := clone.Commit(parent, all, msg, opts.Author, opts.Branch)
			if err != nil {
				return nil, err
			}
			parent = c
			res.Commits = append(res.Commits, Commit{Ticket: ticket, Revision: c.Hash.String()})
		} else {
			for i := range results {
				if results[i].State == Written {
					results[i].State = NothingToDo
				}
			}
		}
		res.Edits = append(res.Edits, results...)
	}
	res.Files = slices.Sorted(maps.Keys(all))
	if len(res.Commits) == 0 {
		return res, nil
	}
	res.Branch = opts.Branch
	switch {
	case opts.DryRun:
		res.Diff, err = Diff(clone.Base, parent)
		return res, err
	case opts.Push:
		if err := clone.Push(ctx, opts.Branch); err != nil {
			return nil, err
		}
		res.Pushed = true
		forge := opts.Forge
		if forge == "" {
			forge = ForgeOf(src.URL)
		}
		res.PullRequestURL = PullRequestURL(forge, src.URL, opts.Branch, clone.Branch)
		return res, nil
	}
	return res, clone.Transfer(ctx, opts.Repo, opts.Branch)
}

// verified checks a Flux source's planned edits by rendering the Kustomization over the changed
// files: an edit Git would still not render as live (the Kustomization's own spec sets the value
// after the file) is not written, and the ticket is planned again without it. all is reset to
// before and replanned then.
func (src Source) verified(ctx context.Context, clone *Clone, fsys fs.FS, loc Locator, targets []Target, results []EditResult, before, all Changes) ([]EditResult, error) {
	rev := clone.Base.Hash.String()
	bad, err := verifyFlux(ctx, clone.Files, all, src.Flux, rev, src.DefaultNamespace, targets, results)
	if err != nil || len(bad) == 0 {
		return results, err
	}
	clear(all)
	maps.Copy(all, before)
	var keep []Target
	for _, t := range targets {
		if _, ok := bad[t.Edit.Name]; !ok {
			keep = append(keep, t)
		}
	}
	again := Plan(fsys, loc, keep, all)
	out := make([]EditResult, 0, len(results))
	for _, r := range results {
		if why, ok := bad[r.Edit]; ok {
			out = append(out, notWritten(r, why))
			continue
		}
		out = append(out, again[0])
		again = again[1:]
	}
	return out, nil
}

func changed(before, after Changes) bool {
	if len(before) != len(after) {
		return true
	}
	for f, b := range after {
		if !bytes.Equal(before[f], b) {
			return true
		}
	}
	return false
}

func grantsOf(results []EditResult, grants map[string]*v1alpha1.BreakGlassGrant) []*v1alpha1.BreakGlassGrant {
	var out []*v1alpha1.BreakGlassGrant
	seen := map[string]bool{}
	for _, r := range results {
		if g := grants[r.Grant]; g != nil && !seen[g.Name] && r.State == Written {
			seen[g.Name] = true
			out = append(out, g)
		}
	}
	return out
}

var unsafeRef = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DefaultBranch is driftgate/backport-<ticket> (tickets joined by "-"), with characters a
// branch name cannot hold replaced by "-".
func DefaultBranch(tickets []string) string {
	name := unsafeRef.ReplaceAllString(strings.Join(tickets, "-"), "-")
	name = strings.Trim(strings.ReplaceAll(name, "..", "-"), "-.")
	if name == "" {
		name = "none"
	}
	return "driftgate/backport-" + name
}

func cleanSub(p string) string {
	return path.Clean(strings.Trim(p, "/"))
}

// objKey identifies an object across Git and the cluster, as the audit does (no version).
type objKey struct{ group, kind, namespace, name string }

func keyOf(ref v1alpha1.ObjectReference) objKey {
	group, _, found := strings.Cut(ref.APIVersion, "/")
	if !found {
		group = ""
	}
	return objKey{group, ref.Kind, ref.Namespace, ref.Name}
}

// index keys the rendered objects; namespaced ones without a namespace get the default.
// Break-glass edits are of namespaced objects only, so every object without one is given it.
func index(objs []audit.Object, defaultNS string) map[objKey]*audit.Object {
	if defaultNS == "" {
		defaultNS = "default"
	}
	out := make(map[objKey]*audit.Object, len(objs))
	for i := range objs {
		o := &objs[i]
		ns := o.Namespace()
		if ns == "" {
			ns = defaultNS
		}
		out[objKey{o.Group(), o.Kind(), ns, o.Name()}] = o
	}
	return out
}

// Rendered is a source's objects at the head of its revision, as Git renders them.
type Rendered struct {
	// Revision is the commit rendered.
	Revision string
	objects  map[objKey]*audit.Object
}

// Render clones the source and renders its path at the head of its revision.
func Render(ctx context.Context, src Source) (*Rendered, error) {
	clone, err := CloneSource(ctx, src.URL, src.Revision, src.Auth)
	if err != nil {
		return nil, err
	}
	defer clone.Close()
	snap, err := src.render(ctx, clone)
	if err != nil {
		return nil, err
	}
	return &Rendered{Revision: snap.Revision, objects: index(snap.Objects, src.DefaultNamespace)}, nil
}

// Object is the object ref names as Git renders it; nil when Git does not define it.
func (r *Rendered) Object(ref v1alpha1.ObjectReference) *audit.Object {
	return r.objects[keyOf(ref)]
}
