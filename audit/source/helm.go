package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	"helm.sh/helm/v4/pkg/action"
	ci "helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
)

// HelmRelease is a Flux HelmRelease to render as helm-controller renders it: the chart of its
// HelmChart (the artifact source-controller packaged from a HelmRepository or a GitRepository
// path), with the release's values, name and namespace, and helm-controller's post-render.
type HelmRelease struct {
	// Namespace and Name are the HelmRelease's own.
	Namespace, Name string
	// ReleaseName and ReleaseNamespace are the Helm release's (spec.releaseName,
	// spec.targetNamespace, as helm-controller derives them).
	ReleaseName, ReleaseNamespace string
	// Chart is the artifact of the release's HelmChart: a chart archive.
	Chart Artifact
	// ChartPath is where the chart is in Git (spec.chart.spec.chart of a chart from a
	// GitRepository, without "./"); empty for a chart from a chart repository. It makes the
	// objects' Source the template's file in the repository.
	ChartPath string
	// Values are the release's values (Values composes them); Origins say where each of their
	// keys comes from, for backport hints.
	Values  map[string]any
	Origins ValueOrigins
	// DisableSchemaValidation skips the chart's values.schema.json, as
	// spec.install/upgrade.disableSchemaValidation does.
	DisableSchemaValidation bool
	// Namespaced reports whether objects of the group and kind are namespaced: those Helm puts in
	// the release's namespace when the chart leaves it unset.
	Namespaced func(group, kind string) bool
	// Capabilities are the cluster's, for the chart's .Capabilities; zero: Helm's defaults.
	Capabilities Capabilities
	// IncludeCRDs renders the chart's crds/ too, as `helm template --include-crds` (Argo CD's
	// repo server, unless helm.skipCrds); helm-controller keeps them out of the release.
	IncludeCRDs bool
	// PostRender, when set, replaces helm-controller's post-render: an Argo CD Application's
	// chart is rendered as `helm template` renders it, without Flux's labels or Helm's release
	// metadata.
	PostRender func(*audit.Object)
}

func (h HelmRelease) where() string { return "HelmRelease " + h.Namespace + "/" + h.Name }

// HelmChartOf names the HelmChart whose artifact helm-controller installs for hr: the one it
// keeps for spec.chart (status.helmChart, or the name it gives it), or spec.chartRef's.
func HelmChartOf(hr *helmv2.HelmRelease) (namespace, name string, err error) {
	switch {
	case hr.Spec.ChartRef != nil && hr.Spec.ChartRef.Kind != "HelmChart":
		return "", "", fmt.Errorf("spec.chartRef of kind %s is not rendered by driftgate yet", hr.Spec.ChartRef.Kind)
	case hr.Spec.ChartRef != nil:
		namespace, name = hr.Spec.ChartRef.Namespace, hr.Spec.ChartRef.Name
	case hr.Spec.Chart != nil:
		namespace, name = hr.Status.GetHelmChart()
		if name == "" {
			namespace, name = hr.Spec.Chart.Spec.SourceRef.Namespace, hr.GetHelmChartName()
		}
	default:
		return "", "", errors.New("neither spec.chart nor spec.chartRef is set")
	}
	if namespace == "" {
		namespace = hr.Namespace
	}
	return namespace, name, nil
}

// HelmChartSource is what a HelmChart (source.toolkit.fluxcd.io) says of the chart it builds.
type HelmChartSource struct {
	// Artifact is the chart as source-controller packaged it (empty URL: none yet); OfferedAt
	// is when it last changed (status.artifact.lastUpdateTime, RFC 3339).
	Artifact  Artifact
	OfferedAt string
	// GitNamespace and GitName name the chart's GitRepository when the chart is in Git; ChartPath
	// is then its path there (without "./") and ValuesFiles its spec.valuesFiles, merged in
	// order over nothing else (the chart's values.yaml counts only when listed).
	GitNamespace, GitName, ChartPath string
	ValuesFiles                      []string
}

// ReadHelmChart reads a HelmChart's artifact and, for a chart from a GitRepository, where it is.
func ReadHelmChart(hc *unstructured.Unstructured) HelmChartSource {
	var c HelmChartSource
	str := func(f ...string) string { v, _, _ := unstructured.NestedString(hc.Object, f...); return v }
	c.Artifact = Artifact{URL: str("status", "artifact", "url"), Digest: str("status", "artifact", "digest"),
		Revision: str("status", "artifact", "revision")}
	c.OfferedAt = str("status", "artifact", "lastUpdateTime")
	if str("spec", "sourceRef", "kind") == "GitRepository" {
		c.GitNamespace, c.GitName = hc.GetNamespace(), str("spec", "sourceRef", "name")
		c.ChartPath = strings.TrimPrefix(path.Clean("/"+str("spec", "chart")), "/")
		c.ValuesFiles, _, _ = unstructured.NestedStringSlice(hc.Object, "spec", "valuesFiles")
	}
	return c
}

// Labels helm-controller's post-renderer puts on every object of a release.
const (
	HelmReleaseNameLabel      = "helm.toolkit.fluxcd.io/name"
	HelmReleaseNamespaceLabel = "helm.toolkit.fluxcd.io/namespace"
)

// FetchHelm downloads the release's chart from source-controller (the HelmChart's artifact,
// digest checked) and renders it in-process with the Helm SDK as helm-controller installs it:
// the release's values over the chart's defaults (schema checked), its name and namespace,
// and helm-controller's labels on every object. Hooks, NOTES.txt and the chart's crds/ are not
// part of the release's manifest and are not audited. Errors are one line; no value of the
// release is ever in them.
func (f *Fetcher) FetchHelm(ctx context.Context, h HelmRelease) (Snapshot, error) {
	ch, err := f.HelmChart(ctx, h.Chart)
	if err != nil {
		return Snapshot{}, fmt.Errorf("%s: %w", h.where(), err)
	}
	objs, err := RenderHelm(ctx, ch, h)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Revision: h.Chart.Revision, Objects: objs}, nil
}

// HelmChart downloads a HelmChart's artifact from source-controller (digest checked) and loads
// the chart it holds.
func (f *Fetcher) HelmChart(ctx context.Context, art Artifact) (*chart.Chart, error) {
	dir, err := f.tempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := f.download(ctx, art, dir); err != nil {
		return nil, fmt.Errorf("chart %s: %w", art.Revision, err)
	}
	root, err := chartRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", art.Revision, err)
	}
	ch, err := loader.LoadDir(root)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", art.Revision, oneLine(err))
	}
	return ch, nil
}

// RenderHelm renders a loaded chart as helm-controller installs the release h (its values,
// name and namespace, helm-controller's labels); the error is one line naming the release.
func RenderHelm(ctx context.Context, ch *chart.Chart, h HelmRelease) ([]audit.Object, error) {
	objs, err := renderChart(ctx, ch, h)
	if err != nil {
		return nil, fmt.Errorf("%s: rendering chart %s %s: %w", h.where(), ch.Name(), ch.Metadata.Version, oneLine(err))
	}
	return objs, nil
}

// chartRoot is the one directory of an extracted chart archive that holds a Chart.yaml.
func chartRoot(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "Chart.yaml")); err == nil {
			return filepath.Join(dir, e.Name()), nil
		}
	}
	return "", fmt.Errorf("the archive holds no chart (no <name>/Chart.yaml)")
}

// renderChart renders ch as `helm install` does without a cluster (Helm's client-only dry
// run), and reads the release's manifest into objects.
func renderChart(ctx context.Context, ch *chart.Chart, h HelmRelease) ([]audit.Object, error) {
	cfg := action.NewConfiguration()
	cfg.SetLogger(slog.DiscardHandler)
	in := action.NewInstall(cfg)
	in.DryRunStrategy = action.DryRunClient
	in.ReleaseName, in.Namespace = h.ReleaseName, h.ReleaseNamespace
	in.SkipSchemaValidation = h.DisableSchemaValidation
	in.DisableHooks = true
	in.IncludeCRDs = h.IncludeCRDs
	if v := h.Capabilities.KubeVersion; v != "" {
		kv, err := common.ParseKubeVersion(v)
		if err != nil {
			return nil, fmt.Errorf("the Kubernetes version %q: %w", v, err)
		}
		in.KubeVersion = kv
	}
	in.APIVersions = h.Capabilities.APIVersions
	vals := h.Values
	if vals == nil {
		vals = map[string]any{}
	}
	rel, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("helm returned a release of type %T", rel)
	}
	return h.objects(ch, r.Manifest)
}

// Capabilities are what a chart's .Capabilities say of the cluster: its Kubernetes version
// (v1.37.1) and the API versions it serves, each "group/version" and "group/version/Kind", as
// helm-controller reads them from the cluster and Argo CD passes them to helm template. They are
// added to Helm's defaults, as `helm template --api-versions` adds them.
type Capabilities struct {
	KubeVersion string
	APIVersions []string
}

// checkDependencies fails when a dependency Chart.yaml lists is not in the chart's charts/:
// the Helm SDK would render the chart without it, where `helm template` refuses. Argo CD's repo
// server then runs `helm dependency build`, fetching them from their repositories, which
// driftgate does not.
func checkDependencies(ch *chart.Chart) error {
	if ch.Metadata == nil || len(ch.Metadata.Dependencies) == 0 {
		return nil
	}
	reqs := make([]ci.Dependency, len(ch.Metadata.Dependencies))
	for i, d := range ch.Metadata.Dependencies {
		reqs[i] = d
	}
	if err := action.CheckDependencies(ch, reqs); err != nil {
		return fmt.Errorf("%w: chart %s: %s; commit its charts/ (helm dependency build) to have it audited", ErrUnsupportedSource, ch.Name(), oneLine(err))
	}
	return nil
}

// objects reads a release manifest ("---" separated documents, each after a "# Source:" line)
// into objects: helm-controller's labels added, the release namespace set where Helm sets it.
func (h HelmRelease) objects(ch *chart.Chart, manifest string) ([]audit.Object, error) {
	var out []audit.Object
	for doc := range strings.SplitSeq(manifest, "\n---") {
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
		tmpl := ""
		for line := range strings.SplitSeq(doc, "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
				tmpl = s
				break
			}
		}
		var content map[string]any
		if err := yaml.Unmarshal([]byte(doc), &content); err != nil {
			return nil, fmt.Errorf("%s: %w", tmpl, err)
		}
		if len(content) == 0 {
			continue
		}
		o := audit.Object{Source: h.sourceOf(ch, tmpl), Content: content}
		if h.PostRender != nil {
			h.PostRender(&o)
		} else {
			h.postRender(&o)
		}
		out = append(out, o)
	}
	h.hint(out, ch.Values)
	return out, nil
}

// sourceOf names the file of a template: its path in Git for a chart from a GitRepository
// ("charts/web/templates/deployment.yaml"), else the chart and the template.
func (h HelmRelease) sourceOf(ch *chart.Chart, tmpl string) string {
	rel := tmpl
	if _, after, ok := strings.Cut(tmpl, "/"); ok {
		rel = after // Helm's source is <chart name>/templates/...
	}
	if h.ChartPath != "" {
		return filepath.ToSlash(filepath.Join(h.ChartPath, rel))
	}
	return fmt.Sprintf("chart %s-%s %s", ch.Name(), ch.Metadata.Version, rel)
}

// postRender does what helm-controller's post-renderer and Helm's install add to what the
// chart renders: helm-controller's labels on every object, Helm's release labels and
// annotations (app.kubernetes.io/managed-by, meta.helm.sh/release-name and -namespace), and the
// release namespace on namespaced objects the chart leaves without one.
func (h HelmRelease) postRender(o *audit.Object) {
	md, _ := o.Content["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		o.Content["metadata"] = md
	}
	labels, _ := md["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
		md["labels"] = labels
	}
	labels[HelmReleaseNameLabel] = h.Name
	labels[HelmReleaseNamespaceLabel] = h.Namespace
	// What Helm's install and upgrade put on every object of a release (its ownership).
	labels["app.kubernetes.io/managed-by"] = "Helm"
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	ann["meta.helm.sh/release-name"] = h.ReleaseName
	ann["meta.helm.sh/release-namespace"] = h.ReleaseNamespace
	if ns, _ := md["namespace"].(string); ns == "" && (h.Namespaced == nil || h.Namespaced(o.Group(), o.Kind())) {
		md["namespace"] = h.ReleaseNamespace
	}
}

// oneLine shows only an error's first line (Helm's template errors can span many); the whole
// error stays in the chain.
func oneLine(err error) error {
	if !strings.Contains(err.Error(), "\n") {
		return err
	}
	return firstLine{err}
}

type firstLine struct{ err error }

func (e firstLine) Error() string {
	msg, _, _ := strings.Cut(e.err.Error(), "\n")
	return msg + " …"
}

func (e firstLine) Unwrap() error { return e.err }
