package backport

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// Flux is the Flux Kustomization a GitSource with spec.sourceRef names: the repository and path
// are those of its GitRepository and spec.path, and Git renders as kustomize-controller
// renders, with the Kustomization's own patches, images, commonMetadata, components and
// postBuild substitution.
type Flux struct {
	// Kustomization is the Flux Kustomization (kustomize.toolkit.fluxcd.io/v1), as read live.
	Kustomization unstructured.Unstructured
	// Variables reads the ConfigMaps and Secrets of spec.postBuild.substituteFrom (nil when it
	// names none).
	Variables client.Client
}

// name is "Kustomization namespace/name".
func (f *Flux) name() string {
	return "Kustomization " + f.Kustomization.GetNamespace() + "/" + f.Kustomization.GetName()
}

// artifactURL is where the in-memory artifact of a render is "served"; nothing listens there.
const artifactURL = "http://backport.artifact.invalid/artifact.tar.gz"

// renderFlux renders the Kustomization over the files below dir (with changes over them) as
// kustomize-controller does: the files are packed as source-controller packs an artifact and
// rendered by package source's Flux renderer, which reads them from memory.
func renderFlux(ctx context.Context, dir string, changes Changes, fl *Flux, ks unstructured.Unstructured, revision string) (source.Snapshot, error) {
	data, err := packArtifact(dir, changes)
	if err != nil {
		return source.Snapshot{}, fmt.Errorf("packing the files for %s: %w", fl.name(), err)
	}
	sum := sha256.Sum256(data)
	f := &source.Fetcher{HTTP: &http.Client{Transport: memoryArtifact(data)}}
	return f.FetchFlux(ctx, source.Flux{
		Kustomization: ks, Variables: fl.Variables,
		Artifact: source.Artifact{URL: artifactURL, Digest: "sha256:" + hex.EncodeToString(sum[:]), Revision: "sha1:" + revision},
	})
}

// memoryArtifact answers every request with the artifact.
type memoryArtifact []byte

// RoundTrip implements http.RoundTripper.
func (m memoryArtifact) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: io.NopCloser(bytes.NewReader(m)),
		ContentLength: int64(len(m)), Header: http.Header{}, Request: req}, nil
}

// packArtifact is a gzipped tarball of the regular files below dir, with changes (paths
// relative to dir) replacing or adding files.
func packArtifact(dir string, changes Changes) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if _, changed := changes[p]; changed {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return err
		}
		return add(p, data)
	})
	if err != nil {
		return nil, err
	}
	for _, p := range slices.Sorted(maps.Keys(changes)) {
		if err := add(p, changes[p]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ablation is what the Kustomization renders without one of its own fields.
type ablation struct {
	what    string
	objects map[objKey]*audit.Object
	// err is why it could not be rendered.
	err error
}

// ablations renders the Kustomization once without each of its own fields it sets, to tell
// which values come from the Kustomization object rather than from a file.
func ablations(ctx context.Context, dir string, fl *Flux, revision, defaultNS string) []ablation {
	var out []ablation
	for _, f := range source.FluxOwnFields() {
		if _, set, _ := unstructured.NestedFieldNoCopy(fl.Kustomization.Object, "spec", f.Field); !set {
			continue
		}
		ks := *fl.Kustomization.DeepCopy()
		unstructured.RemoveNestedField(ks.Object, "spec", f.Field)
		snap, err := renderFlux(ctx, dir, nil, fl, ks, revision)
		a := ablation{what: f.What, err: err}
		if err == nil {
			a.objects = index(snap.Objects, defaultNS)
		}
		out = append(out, a)
	}
	return out
}

// fluxLocator places values for a Flux Kustomization: a value the Kustomization's own fields
// make (a patch, an image override, a substituted variable, common metadata, a component) is not
// in the files of its path and is reported; the others are placed by next (Files).
type fluxLocator struct {
	next      Locator
	flux      *Flux
	ablations []ablation
}

// Locate implements Locator.
func (l fluxLocator) Locate(obj audit.Object, p []fieldpath.Segment, value any, remove bool) ([]Write, error) {
	k := objKey{obj.Group(), obj.Kind(), obj.Namespace(), obj.Name()}
	want, wantOK := fieldpath.Lookup(any(obj.Content), p)
	for _, a := range l.ablations {
		if a.err != nil {
			return nil, fmt.Errorf("%w: whether %s sets the value cannot be told (rendering it without %s failed: %v)",
				ErrUnplaceable, l.flux.name(), a.what, a.err)
		}
		other := a.objects[k]
		var got any
		gotOK := false
		if other != nil {
			got, gotOK = fieldpath.Lookup(any(other.Content), p)
		}
		if other == nil || wantOK != gotOK || JSONValue(want) != JSONValue(got) {
			return nil, fmt.Errorf("%w: the value comes from %s, %s, not from a file in the repository: change it there",
				ErrUnplaceable, l.flux.name(), a.what)
		}
	}
	return l.next.Locate(obj, p, value, remove)
}

// verifyFlux renders the Kustomization over the changed files and says, for each written edit,
// why Git would not render the live values it wrote (by edit name); empty when all would.
func verifyFlux(ctx context.Context, dir string, changes Changes, fl *Flux, revision, defaultNS string, targets []Target, results []EditResult) (map[string]string, error) {
	snap, err := renderFlux(ctx, dir, changes, fl, fl.Kustomization, revision)
	if err != nil {
		return nil, fmt.Errorf("rendering %s with the backport: %w", fl.name(), err)
	}
	rendered := index(snap.Objects, defaultNS)
	bad := map[string]string{}
	for i, r := range results {
		if r.State != Written {
			continue
		}
		obj := rendered[keyOf(targets[i].Edit.Spec.Object)]
		if obj == nil {
			bad[r.Edit] = fmt.Sprintf("with the change %s no longer renders the object", fl.name())
			continue
		}
		for _, pr := range r.Paths {
			segs, err := fieldpath.Parse(pr.Path)
			if err != nil {
				return nil, fmt.Errorf("path %s: %w", pr.Path, err)
			}
			got, ok := fieldpath.Lookup(any(obj.Content), segs)
			if !ok {
				got = nil
			}
			if JSONValue(got) != JSONValue(pr.New) {
				bad[r.Edit] = fmt.Sprintf("%s: with the change written, %s still renders %s (its own spec sets the value, or a file it builds after): not written",
					pr.Path, fl.name(), JSONValue(got))
				break
			}
		}
	}
	return bad, nil
}

// FluxGit is where a Flux Kustomization's files are in Git: the URL, revision and credentials
// Secret of its GitRepository, and spec.path.
type FluxGit struct {
	URL, Revision, Path string
	// SecretNamespace and SecretName name the GitRepository's spec.secretRef (empty: none).
	SecretNamespace, SecretName string
}

// GitOf reads where the Kustomization's files are from its GitRepository (repo): RepoOf, and
// the Kustomization's spec.path. A source that is not a GitRepository (an OCIRepository, a
// Bucket) is an error.
func GitOf(ks, repo *unstructured.Unstructured) (FluxGit, error) {
	kind, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "kind")
	if kind != "GitRepository" {
		return FluxGit{}, fmt.Errorf("Kustomization %s/%s applies a %s, not a Git repository", ks.GetNamespace(), ks.GetName(), kind)
	}
	g, err := RepoOf(repo)
	if err != nil {
		return FluxGit{}, err
	}
	g.Path, _, _ = unstructured.NestedString(ks.Object, "spec", "path")
	return g, nil
}

// RepoOf reads where a Flux GitRepository's files are: its URL, its spec.ref (branch, else tag,
// else the commit's branch, the default branch for a commit or a semver range) and
// spec.secretRef.
func RepoOf(repo *unstructured.Unstructured) (FluxGit, error) {
	var g FluxGit
	g.URL, _, _ = unstructured.NestedString(repo.Object, "spec", "url")
	if g.URL == "" {
		return FluxGit{}, fmt.Errorf("GitRepository %s/%s has no spec.url", repo.GetNamespace(), repo.GetName())
	}
	ref := func(k string) string { v, _, _ := unstructured.NestedString(repo.Object, "spec", "ref", k); return v }
	switch {
	case ref("branch") != "":
		g.Revision = ref("branch")
	case ref("tag") != "":
		g.Revision = ref("tag")
	case ref("name") != "":
		g.Revision = strings.TrimPrefix(ref("name"), "refs/heads/")
	case ref("commit") != "":
		g.Revision = ref("commit")
	}
	if name, _, _ := unstructured.NestedString(repo.Object, "spec", "secretRef", "name"); name != "" {
		g.SecretNamespace, g.SecretName = repo.GetNamespace(), name
	}
	return g, nil
}
