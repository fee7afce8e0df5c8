package loop

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/source"
)

// fluxHelmGroup is the API group of Flux's HelmRelease.
const fluxHelmGroup = "helm.toolkit.fluxcd.io"

// helmReleaseKind is the Flux HelmRelease's group and kind.
func helmReleaseKind() schema.GroupKind {
	return schema.GroupKind{Group: fluxHelmGroup, Kind: v1alpha1.SourceKindHelmRelease}
}

// newHelmRelease is an empty Flux HelmRelease to read into.
func newHelmRelease() *unstructured.Unstructured { return fluxHelmReleases().New() }

// HelmFetcher renders Flux HelmReleases; source.Fetcher does. A Fetcher that cannot leaves
// every HelmRelease source stale with a message saying so.
type HelmFetcher interface {
	FetchHelm(ctx context.Context, h source.HelmRelease) (source.Snapshot, error)
}

// fetchHelmRelease reads the HelmRelease a source names, its chart's artifact and its values,
// records what the HelmRelease says of its sync, and renders the chart.
func (r *Reconciler) fetchHelmRelease(ctx context.Context, gs *v1alpha1.GitSource) (source.Snapshot, error) {
	h, sync, err := r.helmSource(ctx, gs.Spec.SourceRef)
	r.state.update(gs.Name, func(st *sourceState) { st.sync = sync })
	if err != nil {
		return source.Snapshot{}, err
	}
	hf, ok := r.Fetcher.(HelmFetcher)
	if !ok {
		return source.Snapshot{}, errors.New("this driftgate cannot render Helm charts")
	}
	return hf.FetchHelm(ctx, h)
}

// helmSource reads a HelmRelease, the artifact of its HelmChart and the ConfigMaps and Secrets
// of its valuesFrom. The sync is returned whenever the HelmRelease could be read.
func (r *Reconciler) helmSource(ctx context.Context, ref *v1alpha1.GitOpsReference) (source.HelmRelease, *v1alpha1.SyncStatus, error) {
	u, err := r.getLatest(ctx, helmReleaseKind(), ref.Namespace, ref.Name)
	if err != nil {
		return source.HelmRelease{}, nil, fmt.Errorf("reading HelmRelease %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	sync := helmReleaseSync(u)
	var hr helmv2.HelmRelease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &hr); err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("HelmRelease %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	where := "HelmRelease " + ref.Namespace + "/" + ref.Name
	switch {
	case hr.Spec.KubeConfig != nil:
		return source.HelmRelease{}, sync, fmt.Errorf("%s installs into another cluster (spec.kubeConfig): not audited", where)
	case len(hr.Spec.PostRenderers) > 0:
		return source.HelmRelease{}, sync, fmt.Errorf("%s has spec.postRenderers, which driftgate does not render yet", where)
	}
	h := source.HelmRelease{Namespace: hr.Namespace, Name: hr.Name, ReleaseName: hr.GetReleaseName(),
		ReleaseNamespace:        hr.GetReleaseNamespace(),
		DisableSchemaValidation: hr.GetInstall().DisableSchemaValidation || hr.GetUpgrade().DisableSchemaValidation,
		Namespaced:              func(group, kind string) bool { return r.namespaced(schema.GroupKind{Group: group, Kind: kind}) }}
	if h.Chart, h.ChartPath, err = r.helmChart(ctx, &hr); err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	from, err := source.ReadValuesFrom(ctx, r.APIReader, &hr)
	if err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	if h.Values, h.Origins, err = source.ComposeValues(from, hr.GetValues()); err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	return h, sync, nil
}

// helmChart reads the HelmChart whose artifact helm-controller installs: the one it keeps for
// spec.chart (status.helmChart, or the name it gives it), or spec.chartRef's. Its artifact is
// the chart as source-controller packaged it, from a chart repository (index.yaml and the
// chart's archive over HTTP) or from a GitRepository's path (its valuesFiles merged in).
// chartPath is the chart's path in Git for the latter.
func (r *Reconciler) helmChart(ctx context.Context, hr *helmv2.HelmRelease) (art source.Artifact, chartPath string, err error) {
	var ns, name string
	switch {
	case hr.Spec.ChartRef != nil && hr.Spec.ChartRef.Kind != "HelmChart":
		return art, "", fmt.Errorf("spec.chartRef of kind %s is not rendered by driftgate yet", hr.Spec.ChartRef.Kind)
	case hr.Spec.ChartRef != nil:
		ns, name = hr.Spec.ChartRef.Namespace, hr.Spec.ChartRef.Name
		if ns == "" {
			ns = hr.Namespace
		}
	case hr.Spec.Chart != nil:
		ns, name = hr.Status.GetHelmChart()
		if name == "" {
			ns, name = hr.Spec.Chart.Spec.SourceRef.Namespace, hr.GetHelmChartName()
			if ns == "" {
				ns = hr.Namespace
			}
		}
	default:
		return art, "", errors.New("neither spec.chart nor spec.chartRef is set")
	}
	hc, err := r.getLatest(ctx, schema.GroupKind{Group: fluxSourceGroup, Kind: "HelmChart"}, ns, name)
	if err != nil {
		return art, "", fmt.Errorf("reading its HelmChart %s/%s: %w", ns, name, err)
	}
	if status, _, msg := readyCondition(hc); status == "False" {
		return art, "", fmt.Errorf("its HelmChart %s/%s is not Ready: %s", ns, name, msg)
	}
	art.URL, _, _ = unstructured.NestedString(hc.Object, "status", "artifact", "url")
	art.Digest, _, _ = unstructured.NestedString(hc.Object, "status", "artifact", "digest")
	art.Revision, _, _ = unstructured.NestedString(hc.Object, "status", "artifact", "revision")
	if art.URL == "" {
		return art, "", fmt.Errorf("its HelmChart %s/%s has no artifact yet: %s", ns, name, readyMessage(hc))
	}
	if kind, _, _ := unstructured.NestedString(hc.Object, "spec", "sourceRef", "kind"); kind == "GitRepository" {
		p, _, _ := unstructured.NestedString(hc.Object, "spec", "chart")
		chartPath = strings.TrimPrefix(path.Clean("/"+p), "/")
	}
	return art, chartPath, nil
}

// helmReleaseSync is what a HelmRelease's status says of its last sync: the revision applied is
// the chart version of its latest deployed release in status.history.
func helmReleaseSync(u *unstructured.Unstructured) *v1alpha1.SyncStatus {
	applied := ""
	history, _, _ := unstructured.NestedSlice(u.Object, "status", "history")
	for _, h := range history {
		m, _ := h.(map[string]any)
		if m["status"] == "deployed" {
			applied, _ = m["chartVersion"].(string)
			break
		}
	}
	return fluxSync(u, applied)
}
