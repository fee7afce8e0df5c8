package loop

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	if h.Capabilities, err = r.caps.get(r.Discovery, r.Clock); err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	chart, err := r.helmChart(ctx, &hr)
	if err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	h.Chart, h.ChartPath = chart.Artifact, chart.ChartPath
	checkReconciling(sync, chart.Artifact.Revision, chart.OfferedAt, specInterval(u), r.Clock.Now())
	checkSpecReconciling(sync, specChangedAt(u), specInterval(u), r.Clock.Now())
	from, err := source.ReadValuesFrom(ctx, r.APIReader, &hr)
	if err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	if h.Values, h.Origins, err = source.ComposeValues(from, hr.GetValues()); err != nil {
		return source.HelmRelease{}, sync, fmt.Errorf("%s: %w", where, err)
	}
	return h, sync, nil
}

// helmChart reads the HelmChart whose artifact helm-controller installs (source.HelmChartOf).
// Its artifact is the chart as source-controller packaged it, from a chart repository
// (index.yaml and the chart's archive over HTTP) or from a GitRepository's path (its
// valuesFiles merged in); ChartPath is the chart's path in Git for the latter.
func (r *Reconciler) helmChart(ctx context.Context, hr *helmv2.HelmRelease) (source.HelmChartSource, error) {
	ns, name, err := source.HelmChartOf(hr)
	if err != nil {
		return source.HelmChartSource{}, err
	}
	hc, err := r.getLatest(ctx, schema.GroupKind{Group: fluxSourceGroup, Kind: "HelmChart"}, ns, name)
	if err != nil {
		return source.HelmChartSource{}, fmt.Errorf("reading its HelmChart %s/%s: %w", ns, name, err)
	}
	if status, _, msg := readyCondition(hc); status == "False" {
		return source.HelmChartSource{}, fmt.Errorf("its HelmChart %s/%s is not Ready: %s", ns, name, msg)
	}
	c := source.ReadHelmChart(hc)
	if c.Artifact.URL == "" {
		return c, fmt.Errorf("its HelmChart %s/%s has no artifact yet: %s", ns, name, readyMessage(hc))
	}
	return c, nil
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
	s := fluxSync(u, applied)
	// A spec helm-controller has not applied yet (its values changed; the chart's revision may
	// stay the same): it sets status.observedGeneration once it has.
	observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	s.SpecPending = !s.Failing && observed < u.GetGeneration()
	return s
}

// specChangedAt is when the object's spec was last written (the latest time in its
// managedFields outside the status), RFC 3339; empty when not known.
func specChangedAt(u *unstructured.Unstructured) string {
	var last time.Time
	for _, f := range u.GetManagedFields() {
		if f.Subresource == "" && f.Time != nil && f.Time.After(last) {
			last = f.Time.Time
		}
	}
	if last.IsZero() {
		return ""
	}
	return last.UTC().Format(time.RFC3339)
}
