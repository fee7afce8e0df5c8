package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	fluxkustomize "github.com/fluxcd/pkg/kustomize"
	securefs "github.com/fluxcd/pkg/kustomize/filesys"
	"github.com/fluxcd/pkg/tar"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/driftgate/driftgate/audit"
)

// Flux is a Flux Kustomization to render as kustomize-controller renders it.
type Flux struct {
	// Kustomization is the Flux Kustomization (kustomize.toolkit.fluxcd.io/v1).
	Kustomization unstructured.Unstructured
	// Artifact is the artifact of its spec.sourceRef, as the source's status names it.
	Artifact Artifact
	// Variables reads the ConfigMaps and Secrets of spec.postBuild.substituteFrom; their values
	// go into the rendered objects only, never into errors or logs.
	Variables client.Client
}

// Artifact is a Flux source's artifact: where source-controller serves it and its digest.
type Artifact struct {
	URL, Digest, Revision string
}

// MaxArtifactSize bounds an artifact's download and its extracted files.
const MaxArtifactSize = 100 << 20

// ssaAnnotation is how an object in Git tells kustomize-controller how to apply it: Ignore (not
// applied) or IfNotPresent (created when absent, never updated).
const ssaAnnotation = "kustomize.toolkit.fluxcd.io/ssa"

// FetchFlux fetches a Flux Kustomization's artifact from source-controller, checks its digest,
// and renders spec.path as kustomize-controller does: Flux's generator writes the
// kustomization (targetNamespace, namePrefix and nameSuffix, patches, images, components,
// commonMetadata), kustomize builds it confined to the artifact, and postBuild variables are
// substituted. Objects Flux does not apply (ssa: Ignore) are left out; those it only creates
// (ssa: IfNotPresent) are compared by presence alone.
func (f *Fetcher) FetchFlux(ctx context.Context, fl Flux) (Snapshot, error) {
	ks := fl.Kustomization
	where := fmt.Sprintf("Kustomization %s/%s", ks.GetNamespace(), ks.GetName())
	path, _, _ := unstructured.NestedString(ks.Object, "spec", "path")
	sub, err := cleanPath(path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s: spec.path %q: %w", where, path, err)
	}
	dir, err := f.tempDir()
	if err != nil {
		return Snapshot{}, err
	}
	defer os.RemoveAll(dir)
	if err := f.download(ctx, fl.Artifact, dir); err != nil {
		return Snapshot{}, fmt.Errorf("%s: artifact %s: %w", where, fl.Artifact.Revision, err)
	}
	at := filepath.Join(dir, filepath.FromSlash(sub))
	if _, err := os.Stat(at); err != nil {
		return Snapshot{}, fmt.Errorf("%s: spec.path %q at %s: %w", where, path, fl.Artifact.Revision, ErrPathNotFound)
	}
	f.renderMu.Lock()
	defer f.renderMu.Unlock()
	pristine, err := f.pristineCopy(dir, ks)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s: %w", where, err)
	}
	if pristine != "" {
		defer os.RemoveAll(pristine)
	}
	objs, err := fluxBuild(ctx, dir, at, fl)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s at %s: %w", where, fl.Artifact.Revision, err)
	}
	if pristine != "" {
		f.setBy(ctx, objs, pristine, sub, fl, where)
	}
	return Snapshot{Revision: FluxDigest(fl.Artifact.Revision), Objects: objs}, nil
}

// FluxField is a field of a Flux Kustomization that sets values on what it renders beyond the
// files of its path; What is how a person finds it.
type FluxField struct{ Field, What string }

// FluxOwnFields are the Kustomization's fields that set values beyond its path's files.
func FluxOwnFields() []FluxField {
	return []FluxField{
		{"patches", "spec.patches"},
		{"images", "spec.images"},
		{"postBuild", "spec.postBuild (variable substitution)"},
		{"commonMetadata", "spec.commonMetadata"},
		{"components", "spec.components"},
	}
}

// ownFields are those of FluxOwnFields that ks sets.
func ownFields(ks unstructured.Unstructured) []FluxField {
	var out []FluxField
	for _, f := range FluxOwnFields() {
		if _, set, _ := unstructured.NestedFieldNoCopy(ks.Object, "spec", f.Field); set {
			out = append(out, f)
		}
	}
	return out
}

// pristineCopy copies the extracted artifact in dir before a render changes it, when ks sets
// fields of its own (the renders without each need the files as they were); "" when it sets none.
func (f *Fetcher) pristineCopy(dir string, ks unstructured.Unstructured) (string, error) {
	if len(ownFields(ks)) == 0 {
		return "", nil
	}
	cp, err := f.tempDir()
	if err != nil {
		return "", err
	}
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		os.RemoveAll(cp)
		return "", fmt.Errorf("copying the artifact: %w", err)
	}
	return cp, nil
}

// setBy renders the Kustomization without each of its own fields, from a copy of pristine, and
// gives each object those renders that differ from it (Object.SetBy): where a person changes a
// value the field sets. A render that fails without the field (a patch of what only a component
// adds) gives no hint; the object's file stays its hint.
func (f *Fetcher) setBy(ctx context.Context, objs []audit.Object, pristine, sub string, fl Flux, where string) {
	for _, field := range ownFields(fl.Kustomization) {
		without := fl
		without.Kustomization = *fl.Kustomization.DeepCopy()
		unstructured.RemoveNestedField(without.Kustomization.Object, "spec", field.Field)
		dir, err := f.tempDir()
		if err != nil {
			return
		}
		var rendered []audit.Object
		if err = os.CopyFS(dir, os.DirFS(pristine)); err == nil {
			rendered, err = fluxBuild(ctx, dir, filepath.Join(dir, filepath.FromSlash(sub)), without)
		}
		os.RemoveAll(dir)
		if err != nil {
			continue
		}
		byKey := map[[4]string]map[string]any{}
		for _, o := range rendered {
			byKey[[4]string{o.Group(), o.Kind(), o.Namespace(), o.Name()}] = o.Content
		}
		what := where + " " + field.What
		for i := range objs {
			o := &objs[i]
			other, ok := byKey[[4]string{o.Group(), o.Kind(), o.Namespace(), o.Name()}]
			if !ok || !equality.Semantic.DeepEqual(other, o.Content) {
				o.SetBy = append(o.SetBy, audit.Setter{What: what, Content: other})
			}
		}
	}
}

// FluxDigest is the commit SHA (or artifact digest) of a Flux revision, as Snapshot.Revision
// holds it: "main@sha1:4f0c…" is "4f0c…". A revision not in Flux's form is returned as it is.
func FluxDigest(revision string) string {
	_, digest, ok := strings.Cut(revision[strings.LastIndex(revision, "@")+1:], ":")
	if !ok || digest == "" {
		return revision
	}
	return digest
}

// download fetches the artifact into dir, checking its digest before anything is extracted.
func (f *Fetcher) download(ctx context.Context, a Artifact, dir string) error {
	algo, want, ok := strings.Cut(a.Digest, ":")
	if !ok || algo != "sha256" {
		return fmt.Errorf("digest %q: want sha256:<hex>", a.Digest)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
	if err != nil {
		return fmt.Errorf("the artifact URL: %w", err)
	}
	hc := f.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("fetching from source-controller: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching from source-controller: %s", resp.Status)
	}
	tmp, err := os.CreateTemp(dir, ".artifact-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, MaxArtifactSize+1))
	switch {
	case err != nil:
		return fmt.Errorf("fetching from source-controller: %w", err)
	case n > MaxArtifactSize:
		return fmt.Errorf("larger than %d MiB", MaxArtifactSize>>20)
	case hex.EncodeToString(h.Sum(nil)) != want:
		return fmt.Errorf("its content does not match its digest %s", a.Digest)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tar.Untar(tmp, dir, tar.WithMaxUntarSize(MaxArtifactSize), tar.WithSkipSymlinks()); err != nil {
		return fmt.Errorf("extracting: %w", err)
	}
	return nil
}

// fluxBuild renders dir (inside root) for the Kustomization.
func fluxBuild(ctx context.Context, root, dir string, fl Flux) ([]audit.Object, error) {
	if _, err := fluxkustomize.NewGenerator(root, fl.Kustomization).WriteFile(dir); err != nil {
		return nil, fmt.Errorf("generating the kustomization: %w", err)
	}
	fSys, err := securefs.MakeFsOnDiskSecure(root)
	if err != nil {
		return nil, err
	}
	t := tree{root: root, confined: true}
	if err := t.checkOffline(dir); err != nil {
		return nil, err
	}
	kfile := kustomizationFile(dir)
	if kfile == "" {
		kfile = konfig.DefaultKustomizationFileName()
	}
	m, mode, err := t.build(fSys, dir, kfile, fluxOptions())
	if err != nil {
		return nil, err
	}
	if err := substitute(ctx, fl, m); err != nil {
		return nil, err
	}
	objs, err := t.objects(dir, t.rel(filepath.Join(dir, kfile)), mode, m)
	if err != nil {
		return nil, err
	}
	out := objs[:0]
	for _, o := range objs {
		switch o.Annotations()[ssaAnnotation] {
		case "Ignore", "ignore":
			continue
		case "IfNotPresent", "ifnotpresent":
			presenceOnly(&o)
		}
		out = append(out, o)
	}
	return out, nil
}

// presenceOnly makes the audit compare o by presence alone: every field is ignored.
func presenceOnly(o *audit.Object) {
	md, _ := o.Content["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	ann[audit.IgnoreAnnotation] = "*"
}

// substitute runs Flux's postBuild variable substitution on every object.
func substitute(ctx context.Context, fl Flux, m resmap.ResMap) error {
	if _, ok, _ := unstructured.NestedMap(fl.Kustomization.Object, "spec", "postBuild"); !ok {
		return nil
	}
	for _, res := range m.Resources() {
		// The resource is changed in place (or left alone where its substitution is disabled).
		if _, err := fluxkustomize.SubstituteVariables(ctx, fl.Variables, fl.Kustomization, res); err != nil {
			return fmt.Errorf("postBuild substitution in %s: %w", res.CurId(), err)
		}
	}
	return nil
}

// fluxOptions are kustomize-controller's build options: files may be loaded from anywhere in the
// artifact (the file system confines them to it), no plugins.
func fluxOptions() *krusty.Options {
	return &krusty.Options{LoadRestrictions: types.LoadRestrictionsNone, PluginConfig: types.DisabledPluginConfig()}
}
