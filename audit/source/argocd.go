package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/gobwas/glob"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
)

// Application is an Argo CD Application (argoproj.io/v1alpha1) to render as Argo CD's repo
// server renders it: each of its sources at the revision Argo CD compared, by its type
// (directory, kustomize or helm), then what Argo CD's apply adds.
type Application struct {
	// Namespace and Name are the Application's own.
	Namespace, Name string
	// InstanceName is the name Argo CD gives the Application's render: its name in Argo CD's
	// namespace, "<namespace>_<name>" in any other. It is ARGOCD_APP_NAME and the tracking
	// label's value; empty is Name.
	InstanceName string
	// Project is spec.project (ARGOCD_APP_PROJECT_NAME).
	Project string
	// Sources are spec.source, or spec.sources in order.
	Sources []ApplicationSource
	// DestinationNamespace is spec.destination.namespace: where namespaced objects that name no
	// namespace go, and Helm's release namespace.
	DestinationNamespace string
	// TrackingLabel, when set, is the label Argo CD's label tracking sets to the instance name
	// on every object it applies (application.resourceTrackingMethod label or annotation+label).
	TrackingLabel string
	// TruncateTrackingLabel cuts the label's value to 63 characters (annotation+label
	// tracking; label tracking does not).
	TruncateTrackingLabel bool
	// Capabilities are the cluster's, given to helm charts (Argo CD's --kube-version and
	// --api-versions); a source's helm.kubeVersion and helm.apiVersions replace them.
	Capabilities Capabilities
	// Namespaced reports whether objects of the group and kind are namespaced.
	Namespaced func(group, kind string) bool
}

func (a Application) where() string { return "Application " + a.Namespace + "/" + a.Name }

func (a Application) instance() string {
	if a.InstanceName != "" {
		return a.InstanceName
	}
	return a.Name
}

// argoEnv is Argo CD's build environment for one source, which its repo server substitutes
// into helm parameters' values and value file paths, and into kustomize images, common labels
// and, with commonAnnotationsEnvsubst, common annotations.
type argoEnv map[string]string

// env is the build environment of source s, checked out at s.Revision.
func (a Application) env(s ApplicationSource) argoEnv {
	return argoEnv{
		"ARGOCD_APP_NAME":                   a.instance(),
		"ARGOCD_APP_NAMESPACE":              a.DestinationNamespace,
		"ARGOCD_APP_PROJECT_NAME":           a.Project,
		"ARGOCD_APP_REVISION":               s.Revision,
		"ARGOCD_APP_REVISION_SHORT":         prefix(s.Revision, 7),
		"ARGOCD_APP_REVISION_SHORT_8":       prefix(s.Revision, 8),
		"ARGOCD_APP_SOURCE_REPO_URL":        s.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            s.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": s.TargetRevision,
	}
}

// subst replaces $NAME and ${NAME} in v by their values, a name not in the environment by
// nothing, and $$ by $, as Argo CD does.
func (e argoEnv) subst(v string) string {
	return os.Expand(v, func(name string) string {
		if name == "$" {
			return "$"
		}
		return e[name]
	})
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ApplicationSource is one source of an Application, as Argo CD compared it.
type ApplicationSource struct {
	ArgoSource
	// Field names it in errors: spec.source or spec.sources[i].
	Field string
	// Revision is the commit Argo CD compared the source at (status.sync.revision or
	// revisions[i]); empty resolves TargetRevision in Git (HEAD: the default branch).
	Revision string
	// Auth are the credentials of Argo CD's repository Secret for RepoURL.
	Auth Auth
}

// ArgoSource is the part of Argo CD's ApplicationSource driftgate reads.
type ArgoSource struct {
	RepoURL        string         `json:"repoURL"`
	Path           string         `json:"path,omitempty"`
	TargetRevision string         `json:"targetRevision,omitempty"`
	Chart          string         `json:"chart,omitempty"`
	Ref            string         `json:"ref,omitempty"`
	Name           string         `json:"name,omitempty"`
	Directory      *ArgoDirectory `json:"directory,omitempty"`
	Kustomize      *ArgoKustomize `json:"kustomize,omitempty"`
	Helm           *ArgoHelm      `json:"helm,omitempty"`
	Plugin         map[string]any `json:"plugin,omitempty"`
}

// ArgoDirectory is a directory source's options.
type ArgoDirectory struct {
	Recurse bool   `json:"recurse,omitempty"`
	Include string `json:"include,omitempty"`
	Exclude string `json:"exclude,omitempty"`
	// Jsonnet's options; a .jsonnet file is not rendered by driftgate.
	Jsonnet map[string]any `json:"jsonnet,omitempty"`
	// DisableExtensionFilter reads every file, not only *.yaml, *.yml, *.json (and *.jsonnet):
	// include and exclude do the filtering.
	DisableExtensionFilter bool `json:"disableExtensionFilter,omitempty"`
}

// ArgoKustomize is a kustomize source's options; Unsupported lists the ones set that driftgate
// does not render.
type ArgoKustomize struct {
	NamePrefix        string            `json:"namePrefix,omitempty"`
	NameSuffix        string            `json:"nameSuffix,omitempty"`
	Images            []string          `json:"images,omitempty"`
	CommonLabels      map[string]string `json:"commonLabels,omitempty"`
	CommonAnnotations map[string]string `json:"commonAnnotations,omitempty"`
	Namespace         string            `json:"namespace,omitempty"`
	// CommonAnnotationsEnvsubst substitutes the build environment in CommonAnnotations' values
	// (it always is in Images and CommonLabels).
	CommonAnnotationsEnvsubst bool `json:"commonAnnotationsEnvsubst,omitempty"`
	// ForceCommonLabels and ForceCommonAnnotations let them replace the kustomization's own.
	ForceCommonLabels      bool     `json:"forceCommonLabels,omitempty"`
	ForceCommonAnnotations bool     `json:"forceCommonAnnotations,omitempty"`
	Unsupported            []string `json:"-"`
}

// ArgoHelm is a helm source's options; Unsupported lists the ones set that driftgate does not
// render.
type ArgoHelm struct {
	ValueFiles              []string            `json:"valueFiles,omitempty"`
	Values                  string              `json:"values,omitempty"`
	ValuesObject            map[string]any      `json:"valuesObject,omitempty"`
	Parameters              []ArgoHelmParameter `json:"parameters,omitempty"`
	ReleaseName             string              `json:"releaseName,omitempty"`
	Namespace               string              `json:"namespace,omitempty"`
	IgnoreMissingValueFiles bool                `json:"ignoreMissingValueFiles,omitempty"`
	SkipSchemaValidation    bool                `json:"skipSchemaValidation,omitempty"`
	// SkipCrds leaves the chart's crds/ out, which Argo CD otherwise renders and applies.
	SkipCrds    bool     `json:"skipCrds,omitempty"`
	KubeVersion string   `json:"kubeVersion,omitempty"`
	APIVersions []string `json:"apiVersions,omitempty"`
	Unsupported []string `json:"-"`
}

// ArgoHelmParameter is one --set (or --set-string with ForceString).
type ArgoHelmParameter struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	ForceString bool   `json:"forceString,omitempty"`
}

// argoKustomizeOptionsRead are the kustomize options driftgate renders, and those it leaves
// aside because they change nothing it audits (kustomize's version, the Kubernetes version and
// API versions given to helm charts kustomize inflates). Any other option set makes the source
// ErrUnsupportedSource.
func argoKustomizeOptionsRead() []string {
	return []string{"namePrefix", "nameSuffix", "images", "commonLabels", "commonAnnotations",
		"commonAnnotationsEnvsubst", "namespace", "forceCommonLabels", "forceCommonAnnotations", "version",
		"kubeVersion", "apiVersions"}
}

// argoHelmOptionsRead are the helm options driftgate renders, and those it leaves aside
// (Helm's version, credentials passing, test hooks, which are not audited). Any other option set makes the source
// ErrUnsupportedSource.
func argoHelmOptionsRead() []string {
	return []string{"valueFiles", "values", "valuesObject", "parameters", "releaseName", "namespace",
		"ignoreMissingValueFiles", "skipSchemaValidation", "version", "passCredentials", "skipCrds", "skipTests",
		"kubeVersion", "apiVersions"}
}

// ParseArgoSource reads one of an Application's spec.source or spec.sources, noting the
// kustomize and helm options set that driftgate does not render.
func ParseArgoSource(raw map[string]any) (ArgoSource, error) {
	data, err := json.Marshal(raw)
	if err != nil {
		return ArgoSource{}, err
	}
	var s ArgoSource
	if err := json.Unmarshal(data, &s); err != nil {
		return ArgoSource{}, err
	}
	if s.Kustomize != nil {
		s.Kustomize.Unsupported = unread(raw["kustomize"], argoKustomizeOptionsRead())
	}
	if s.Helm != nil {
		s.Helm.Unsupported = unread(raw["helm"], argoHelmOptionsRead())
	}
	return s, nil
}

// unread are the keys of an options block that are set (not empty) and not in read, sorted.
func unread(block any, read []string) []string {
	m, _ := block.(map[string]any)
	var out []string
	for k, v := range m {
		if !slices.Contains(read, k) && !empty(v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}

// The source types, as Argo CD names them.
const (
	argoDirectory = "Directory"
	argoKustomize = "Kustomize"
	argoHelm      = "Helm"
	argoPlugin    = "Plugin"
)

// ErrUnsupportedSource is what an Application source driftgate cannot render wraps: a config
// management plugin, Jsonnet, a chart from a Helm repository, an option not rendered yet.
const ErrUnsupportedSource = sentinel("not rendered by driftgate")

// skipRenderingMarker in a file of a directory source makes Argo CD skip the file.
const skipRenderingMarker = "+argocd:skip-file-rendering"

// FetchApplication clones each source of an Argo CD Application at the revision Argo CD
// compared it at (with the credentials of its repository Secret) and renders it as Argo CD's
// repo server does: a directory's manifests (recurse, include and exclude as Argo CD's globs),
// a kustomization with the Application's images, name prefix and suffix, common labels and
// annotations and namespace, or a chart in the repository with its value files, values and
// parameters, rendered as `helm template` with the Helm SDK. Sources that only hold value
// files (ref) render nothing. Objects that name no namespace get the destination's, and Argo
// CD's tracking label where it tracks by label. Any source driftgate cannot render fails the
// whole Application with ErrUnsupportedSource: nothing of it is vouched for.
func (f *Fetcher) FetchApplication(ctx context.Context, a Application) (Snapshot, error) {
	if len(a.Sources) == 0 {
		return Snapshot{}, fmt.Errorf("%s has neither spec.source nor spec.sources", a.where())
	}
	dir, err := f.tempDir()
	if err != nil {
		return Snapshot{}, err
	}
	defer os.RemoveAll(dir)
	roots := make([]string, len(a.Sources))
	refs := map[string]string{}
	revs := make([]string, 0, len(a.Sources))
	for i, s := range a.Sources {
		if err := s.Check(); err != nil {
			return Snapshot{}, fmt.Errorf("%s: %s: %w", a.where(), s.Field, err)
		}
		roots[i] = filepath.Join(dir, fmt.Sprint(i))
		commit, err := f.checkout(ctx, s, roots[i])
		if err != nil {
			return Snapshot{}, fmt.Errorf("%s: %s: %w", a.where(), s.Field, err)
		}
		a.Sources[i].Revision = commit
		if s.Ref != "" {
			refs["$"+s.Ref] = roots[i]
		}
		revs = append(revs, commit)
	}
	var objs []audit.Object
	for i, s := range a.Sources {
		if s.Ref != "" && s.Path == "" && s.Chart == "" {
			continue // a source of value files only
		}
		got, err := f.renderSource(ctx, a, s, roots[i], refs)
		if err != nil {
			return Snapshot{}, fmt.Errorf("%s: %s (%s at %s): %w", a.where(), s.Field, redactURL(s.RepoURL), short(s.Revision), err)
		}
		objs = append(objs, got...)
	}
	kept := objs[:0]
	for _, o := range objs {
		if argoHook(o) {
			continue
		}
		a.postRender(&o)
		kept = append(kept, o)
	}
	return Snapshot{Revision: applicationRevision(revs), Objects: kept}, nil
}

// ApplicationRevision is the revision a Snapshot of an Application holds for the revisions of
// its sources: the commit of a single source, the first 12 hex digits of each joined by
// commas for several.
func ApplicationRevision(revisions []string) string { return applicationRevision(revisions) }

func applicationRevision(revs []string) string {
	if len(revs) == 1 {
		return revs[0]
	}
	out := make([]string, len(revs))
	for i, r := range revs {
		out[i] = short(r)
	}
	return strings.Join(out, ",")
}

func short(rev string) string { return prefix(rev, 12) }

// Check refuses what driftgate cannot render, before anything is fetched.
func (s ApplicationSource) Check() error {
	switch {
	case s.Plugin != nil:
		return fmt.Errorf("a config management plugin source is %w", ErrUnsupportedSource)
	case s.Chart != "":
		return fmt.Errorf("a chart from a Helm or OCI repository (chart %q) is %w yet; a chart in Git (path) is", s.Chart, ErrUnsupportedSource)
	case s.RepoURL == "":
		return errors.New("no repoURL")
	case !isRemote(s.RepoURL):
		return fmt.Errorf("repoURL %q: not a Git URL", s.RepoURL)
	case s.Kustomize != nil && len(s.Kustomize.Unsupported) > 0:
		return fmt.Errorf("kustomize.%s %w yet", strings.Join(s.Kustomize.Unsupported, ", kustomize."), ErrUnsupportedSource)
	case s.Helm != nil && len(s.Helm.Unsupported) > 0:
		return fmt.Errorf("helm.%s %w yet", strings.Join(s.Helm.Unsupported, ", helm."), ErrUnsupportedSource)
	}
	n := 0
	for _, set := range []bool{s.Directory != nil, s.Kustomize != nil, s.Helm != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("more than one of directory, kustomize and helm is set (Argo CD refuses it too)")
	}
	return nil
}

// checkout writes the source's commit (Revision, else TargetRevision's) into dir, fetching it
// into the clone of its URL, and returns the commit's SHA.
func (f *Fetcher) checkout(ctx context.Context, s ApplicationSource, dir string) (string, error) {
	key := cacheKey(s.RepoURL)
	unlock, err := f.lock(ctx, key)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", redactURL(s.RepoURL), err)
	}
	defer unlock()
	cache, cleanup, err := f.cacheDir()
	if err != nil {
		return "", err
	}
	defer cleanup()
	r := remote{url: s.RepoURL, auth: s.Auth, dir: filepath.Join(cache, key)}
	commit, err := s.commit(ctx, r)
	if err != nil {
		return "", err
	}
	escaping, err := writeTree(ctx, commit, dir)
	if err != nil {
		return "", fmt.Errorf("reading %s at %s: %w", redactURL(s.RepoURL), commit.Hash, err)
	}
	if len(escaping) > 0 {
		slices.Sort(escaping)
		return "", fmt.Errorf("%s at %s has symlinks leading outside the repository (%s), which Argo CD's repo server refuses: %w",
			redactURL(s.RepoURL), commit.Hash, strings.Join(escaping, ", "), ErrInvalidPath)
	}
	return commit.Hash.String(), nil
}

// commit resolves the source's commit in r: Revision, else TargetRevision's head. A Revision
// Argo CD compared is usually TargetRevision's head: that is fetched first (shallow), and only a
// commit that is not a branch's or tag's head fetches the repository's whole history.
func (s ApplicationSource) commit(ctx context.Context, r remote) (*object.Commit, error) {
	if s.Revision == "" {
		return r.commit(ctx, s.TargetRevision)
	}
	if isFullSHA(s.Revision) && !looksLikeSHA(s.TargetRevision) {
		if head, err := r.commit(ctx, s.TargetRevision); err == nil && strings.EqualFold(head.Hash.String(), s.Revision) {
			return head, nil
		}
	}
	return r.commit(ctx, s.Revision)
}

// sourceType is the source's type as Argo CD decides it: the options block set, else by the
// files directly in the path, in name order, the last deciding: a name ending in Chart.yaml is
// Helm, a kustomization file Kustomize (so a kustomization beside a Chart.yaml wins), none
// Directory.
func (s ApplicationSource) sourceType(dir string) string {
	switch {
	case s.Helm != nil:
		return argoHelm
	case s.Kustomize != nil:
		return argoKustomize
	case s.Directory != nil:
		return argoDirectory
	}
	entries, _ := os.ReadDir(dir) // sorted by name; a path that cannot be read fails later
	kind := argoDirectory
	for _, e := range entries {
		switch {
		case e.IsDir():
		case strings.HasSuffix(e.Name(), "Chart.yaml"):
			kind = argoHelm
		case slices.Contains(konfig.RecognizedKustomizationFileNames(), e.Name()):
			kind = argoKustomize
		}
	}
	return kind
}

// renderSource renders one source checked out at root.
func (f *Fetcher) renderSource(ctx context.Context, a Application, s ApplicationSource, root string, refs map[string]string) ([]audit.Object, error) {
	sub, err := cleanPath(s.Path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, filepath.FromSlash(sub))
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("path %q: %w", s.Path, ErrPathNotFound)
	}
	if s, err = s.overridden(dir, a.instance()); err != nil {
		return nil, err
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	t := tree{root: root, confined: true}
	f.renderMu.Lock()
	defer f.renderMu.Unlock()
	switch s.sourceType(dir) {
	case argoHelm:
		return s.renderHelm(ctx, a, t, dir, sub, refs)
	case argoKustomize:
		return s.renderKustomize(t, dir, a.env(s))
	default:
		var d ArgoDirectory
		if s.Directory != nil {
			d = *s.Directory
		}
		return d.render(t, dir)
	}
}

// overridden is s with the parameter overrides Argo CD's repo server reads from the source's
// path merged in, each a JSON merge patch of the source (what Argo CD Image Updater writes back
// to Git): .argocd-source.yaml, then .argocd-source-<instance>.yaml. The source's repoURL,
// path, targetRevision and chart stay.
func (s ApplicationSource) overridden(dir, instance string) (ApplicationSource, error) {
	merged := s
	for _, name := range []string{".argocd-source.yaml", ".argocd-source-" + instance + ".yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) || (err != nil && isDir(filepath.Join(dir, name))) {
			continue
		}
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
		patch, err := yaml.YAMLToJSON(data)
		if err != nil {
			return s, fmt.Errorf("%s is not YAML: %w", name, oneLine(err))
		}
		doc, err := json.Marshal(merged.ArgoSource)
		if err != nil {
			return s, err
		}
		if doc, err = jsonpatch.MergePatch(doc, patch); err != nil {
			return s, fmt.Errorf("%s: %w", name, oneLine(err))
		}
		var raw map[string]any
		if err := json.Unmarshal(doc, &raw); err != nil {
			return s, fmt.Errorf("%s: %w", name, oneLine(err))
		}
		if merged.ArgoSource, err = ParseArgoSource(raw); err != nil {
			return s, fmt.Errorf("%s: %w", name, oneLine(err))
		}
	}
	merged.RepoURL, merged.Path, merged.TargetRevision, merged.Chart = s.RepoURL, s.Path, s.TargetRevision, s.Chart
	return merged, nil
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// render reads a directory source's manifests as Argo CD does: the files of dir (and of its
// subdirectories with Recurse) named *.yaml, *.yml or *.json, hidden ones included, whose path
// relative to dir matches Include (when set) and not Exclude (when set), as Argo CD's globs
// match (`*` crosses "/", `{a,b}` alternatives); files with the skip-rendering marker are left
// out. A YAML file that does not parse is an error when it looks like a manifest (apiVersion,
// kind and metadata in it) and skipped otherwise. A .jsonnet file is ErrUnsupportedSource.
func (d ArgoDirectory) render(t tree, dir string) ([]audit.Object, error) {
	include, exclude := compileGlob(d.Include), compileGlob(d.Exclude)
	var objs []audit.Object
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if p != dir && !d.Recurse {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if !regularFile(p, e) || !(d.DisableExtensionFilter || argoManifestFile(e.Name())) || !d.selects(include, exclude, filepath.ToSlash(rel)) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %w", t.rel(p), err)
		}
		if strings.Contains(string(data), skipRenderingMarker) {
			return nil
		}
		if strings.HasSuffix(e.Name(), ".jsonnet") {
			return fmt.Errorf("%s: Jsonnet is %w", t.rel(p), ErrUnsupportedSource)
		}
		got, err := audit.ParseKeeping(t.rel(p), data, func(o audit.Object) bool { return !argoHook(o) })
		if err != nil {
			if looksLikeManifest(data) {
				return err
			}
			return nil // some other YAML file, as Argo CD skips it
		}
		objs = append(objs, got...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
}

// regularFile reports whether the entry at p is a file, or a symlink to one (writeTree leaves
// only links that resolve inside the repository).
func regularFile(p string, e os.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return e.Type().IsRegular()
	}
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

func argoManifestFile(name string) bool {
	for _, ext := range []string{".yaml", ".yml", ".json", ".jsonnet"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func looksLikeManifest(data []byte) bool {
	s := string(data)
	return strings.Contains(s, "apiVersion:") && strings.Contains(s, "kind:") && strings.Contains(s, "metadata:")
}

// renderKustomize builds the kustomization in dir with the Application's kustomize options
// written into it, as Argo CD's `kustomize edit` commands write them before `kustomize build`.
func (s ApplicationSource) renderKustomize(t tree, dir string, env argoEnv) ([]audit.Object, error) {
	kfile := kustomizationFile(dir)
	if kfile == "" {
		return nil, fmt.Errorf("%s has no kustomization file", t.rel(dir))
	}
	name := t.rel(filepath.Join(dir, kfile))
	if err := t.checkOffline(dir); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	fSys, err := argoKustomizeFS(t.root, dir, kfile, s.Kustomize, env)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	m, mode, err := t.build(fSys, dir, kfile, argoKustomizeOptions())
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return t.objects(dir, name, mode, m)
}

// renderHelm renders the chart in dir as Argo CD's `helm template` does: release name
// helm.releaseName (default the Application's name), namespace helm.namespace
// (default the destination's), values from the value files in order, then values (or
// valuesObject), then the parameters, with the build environment substituted in value file
// paths and parameters' values; the chart's crds/ too unless skipCrds. Hooks are not rendered.
func (s ApplicationSource) renderHelm(ctx context.Context, a Application, t tree, dir, sub string, refs map[string]string) ([]audit.Object, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("loading the chart at %s: %w", sub, oneLine(err))
	}
	if err := checkDependencies(ch); err != nil {
		return nil, err
	}
	h := ArgoHelm{}
	if s.Helm != nil {
		h = *s.Helm
	}
	vals, origins, err := h.values(t, dir, s.Field, refs, a.env(s))
	if err != nil {
		return nil, err
	}
	rel := HelmRelease{Namespace: a.Namespace, Name: a.Name, ReleaseName: h.ReleaseName, ReleaseNamespace: h.Namespace,
		ChartPath: sub, Values: vals, Origins: origins, DisableSchemaValidation: h.SkipSchemaValidation, IncludeCRDs: !h.SkipCrds,
		PostRender: func(*audit.Object) {}}
	if rel.ReleaseName == "" {
		rel.ReleaseName = a.Name // not the instance name: a release name has no "_"
	}
	if rel.ReleaseNamespace == "" {
		rel.ReleaseNamespace = a.DestinationNamespace
	}
	rel.Capabilities = a.Capabilities
	if h.KubeVersion != "" {
		rel.Capabilities.KubeVersion = h.KubeVersion
	}
	if v, err := k8sversion.ParseGeneric(rel.Capabilities.KubeVersion); err == nil {
		rel.Capabilities.KubeVersion = v.String() // as Argo CD passes it: v1.37.1-gke.1 is 1.37.1
	}
	if len(h.APIVersions) > 0 {
		rel.Capabilities.APIVersions = h.APIVersions
	}
	objs, err := renderChart(ctx, ch, rel)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s %s: %w", ch.Name(), ch.Metadata.Version, oneLine(err))
	}
	return objs, nil
}

// values composes a helm source's values as `helm template` does with Argo CD's flags: each
// value file in order merged deeply, then values or valuesObject, then each parameter (--set,
// or --set-string with forceString; a comma in a value is literal, as Argo CD escapes it).
// Origins name where each key comes from (a value file's path in Git, or the Application's
// field), for backport hints. A value file is relative to the chart, or "$ref/…" to a source
// with that ref; it may not leave its repository. The build environment env is substituted in
// value file paths (after a $ref) and in parameters' values.
func (h ArgoHelm) values(t tree, dir, field string, refs map[string]string, env argoEnv) (map[string]any, ValueOrigins, error) {
	out, origins := map[string]any{}, ValueOrigins{}
	files, err := h.valueFiles(t, dir, refs, env)
	if err != nil {
		return nil, nil, err
	}
	for _, vf := range files {
		data, err := os.ReadFile(vf.file)
		if err != nil {
			return nil, nil, fmt.Errorf("helm.valueFiles %q: %w", vf.raw, ErrPathNotFound)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			return nil, nil, fmt.Errorf("helm.valueFiles %q is not YAML: %w", vf.raw, oneLine(err))
		}
		mergeValues(out, m)
		leaves(m, "", func(k string) { origins[k] = vf.where })
	}
	inline, key := h.ValuesObject, "helm.valuesObject"
	if inline == nil && strings.TrimSpace(h.Values) != "" {
		key = "helm.values"
		if err := yaml.Unmarshal([]byte(h.Values), &inline); err != nil {
			return nil, nil, fmt.Errorf("helm.values is not YAML: %w", oneLine(err))
		}
	}
	mergeValues(out, inline)
	leaves(inline, "", func(k string) { origins[k] = field + "." + key + "." + k })
	for i, p := range h.Parameters {
		set := p.Name + "=" + setValue(env.subst(p.Value))
		var err error
		if p.ForceString {
			err = strvals.ParseIntoString(set, out)
		} else {
			err = strvals.ParseInto(set, out)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("helm.parameters[%d] %s: %w", i, p.Name, oneLine(err))
		}
		origins[p.Name] = fmt.Sprintf("%s.helm.parameters[%d]", field, i)
	}
	return out, origins, nil
}

// setValue escapes the commas of a --set value that are not escaped already, so a value holds
// them literally, except in a list value {a,b}.
func setValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	prev := rune(0)
	for _, r := range v {
		if r == ',' && prev != '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// valueFile is a value file helm reads: raw as helm.valueFiles lists it, the file, and its
// path in Git as hints name it ("$ref/path" in another source, ref; root is that source's
// checkout).
type valueFile struct{ raw, file, where, root, ref string }

// at is the value file vf's glob matched: file.
func (vf valueFile) at(file string) valueFile {
	vf.file, vf.where = file, whereInGit(vf.root, vf.ref, file)
	return vf
}

func whereInGit(root, ref, file string) string {
	rel, _ := filepath.Rel(root, file)
	if ref != "" {
		return ref + "/" + filepath.ToSlash(rel)
	}
	return filepath.ToSlash(rel)
}

// valueFiles resolves helm.valueFiles to the files helm reads, in order, as Argo CD does: each
// relative to the chart's directory, from the repository's root when absolute, or "$ref/path"
// in the source with that ref, with the build environment substituted; a glob (`*`, `?`, `[`,
// `**` across directories) stands for the files it matches in lexical order, less those listed
// explicitly; a file listed twice is read at its first place. A missing file or a glob matching
// none is an error unless ignoreMissingValueFiles. None may leave its repository.
func (h ArgoHelm) valueFiles(t tree, dir string, refs map[string]string, env argoEnv) ([]valueFile, error) {
	resolved := make([]valueFile, len(h.ValueFiles))
	explicit := map[string]bool{}
	for i, raw := range h.ValueFiles {
		vf, err := resolveValueFile(t, dir, raw, refs, env)
		if err != nil {
			return nil, err
		}
		resolved[i] = vf
		if !isGlob(vf.file) {
			explicit[vf.file] = true
		}
	}
	var out []valueFile
	seen := map[string]bool{}
	add := func(vf valueFile) {
		if !seen[vf.file] {
			seen[vf.file] = true
			out = append(out, vf)
		}
	}
	for _, vf := range resolved {
		if !isGlob(vf.file) {
			if _, err := os.Stat(vf.file); err != nil && h.IgnoreMissingValueFiles {
				continue
			}
			add(vf)
			continue
		}
		matches, err := doublestar.FilepathGlob(vf.file, doublestar.WithFilesOnly())
		if err != nil {
			return nil, fmt.Errorf("helm.valueFiles %q: %w", vf.raw, oneLine(err))
		}
		if len(matches) == 0 && !h.IgnoreMissingValueFiles {
			return nil, fmt.Errorf("helm.valueFiles %q matches no file: %w", vf.raw, ErrPathNotFound)
		}
		for _, m := range matches {
			if !explicit[m] {
				add(vf.at(m))
			}
		}
	}
	return out, nil
}

// resolveValueFile resolves one of helm.valueFiles (a glob stays one). A first segment $name
// that is neither a ref nor in the environment is a ref no source has.
func resolveValueFile(t tree, dir, raw string, refs map[string]string, env argoEnv) (valueFile, error) {
	base, rel, rootDir := dir, env.subst(raw), t.root
	ref, rest, _ := strings.Cut(raw, "/")
	r, isRef := refs[ref]
	switch {
	case isRef:
		base, rel, rootDir = r, env.subst(rest), r
	case strings.HasPrefix(ref, "$") && refName(ref[1:]) && env[ref[1:]] == "":
		return valueFile{}, fmt.Errorf("helm.valueFiles %q: no source has ref %s", raw, strings.TrimPrefix(ref, "$"))
	case strings.HasPrefix(rel, "/"):
		base = t.root
	}
	if strings.Contains(rel, "://") {
		return valueFile{}, fmt.Errorf("helm.valueFiles %q: a value file by URL is %w", raw, ErrUnsupportedSource)
	}
	file := filepath.Join(base, filepath.FromSlash(rel))
	if inRepo, err := filepath.Rel(rootDir, file); err != nil || !filepath.IsLocal(inRepo) {
		return valueFile{}, fmt.Errorf("helm.valueFiles %q leaves the repository: %w", raw, ErrInvalidPath)
	}
	vf := valueFile{raw: raw, file: file, root: rootDir}
	if isRef {
		vf.ref = ref
	}
	vf.where = whereInGit(rootDir, vf.ref, file)
	return vf, nil
}

// isGlob reports whether a value file is a glob pattern, as Argo CD decides it.
func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// refName reports whether s can be a source's ref: ASCII letters, digits, '-' and '_'.
func refName(s string) bool {
	for i := range len(s) {
		if c := s[i]; c != '-' && c != '_' && !isAlnum(c) {
			return false
		}
	}
	return s != ""
}

// postRender does to a rendered object what Argo CD does before it compares and applies: a
// namespaced object (or one of a kind not known) that names no namespace goes to the
// destination's, a cluster-scoped one loses the namespace it names, and with label tracking
// every object but a CustomResourceDefinition carries the tracking label (cut to 63
// characters with annotation+label tracking).
func (a Application) postRender(o *audit.Object) {
	md, _ := o.Content["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		o.Content["metadata"] = md
	}
	ns, _ := md["namespace"].(string)
	switch {
	case a.Namespaced != nil && !a.Namespaced(o.Group(), o.Kind()):
		delete(md, "namespace")
	case ns == "" && a.DestinationNamespace != "":
		md["namespace"] = a.DestinationNamespace
	}
	if a.TrackingLabel != "" && !(o.Group() == "apiextensions.k8s.io" && o.Kind() == "CustomResourceDefinition") {
		labels, _ := md["labels"].(map[string]any)
		if labels == nil {
			labels = map[string]any{}
			md["labels"] = labels
		}
		v := a.instance()
		if a.TruncateTrackingLabel {
			v = truncateLabel(v)
		}
		labels[a.TrackingLabel] = v
	}
}

// truncateLabel cuts a label value to 63 characters, then to its last letter or digit, as Argo
// CD's annotation+label tracking does.
func truncateLabel(v string) string {
	if len(v) <= 63 {
		return v
	}
	v = v[:63]
	for v != "" && !isAlnum(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// argoHook reports whether Argo CD leaves the object out of what it compares and applies as a
// resource: a hook (audit.IsHook), or an object with a generateName and no name.
func argoHook(o audit.Object) bool {
	md, _ := o.Content["metadata"].(map[string]any)
	gen, _ := md["generateName"].(string)
	return audit.IsHook(o) || (o.Name() == "" && gen != "")
}

// ArgoGlob matches text as Argo CD's globs match it (gobwas/glob, no separators: `*` crosses
// "/"). A pattern that does not compile matches nothing, as in Argo CD (which logs it).
func ArgoGlob(pattern string) func(text string) bool {
	g, err := glob.Compile(pattern)
	if err != nil {
		return func(string) bool { return false }
	}
	return g.Match
}

// argoGlob is a directory source's include or exclude pattern, set or not: a bad include
// leaves every file out, a bad exclude none.
type argoGlob struct {
	set   bool
	match func(rel string) bool
}

func compileGlob(pattern string) argoGlob {
	if pattern == "" {
		return argoGlob{}
	}
	return argoGlob{set: true, match: ArgoGlob(pattern)}
}

// selects reports whether a file, by its path relative to the source's directory, is read:
// not excluded, and included when Include is set.
func (d ArgoDirectory) selects(include, exclude argoGlob, rel string) bool {
	if exclude.set && exclude.match(rel) {
		return false
	}
	return !include.set || include.match(rel)
}
