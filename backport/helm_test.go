package backport

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/api/v1alpha1"

	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/internal/testutil"
)

// helmValuesFiles are the chart's spec.valuesFiles in testdata/golden/helm.
var helmValuesFiles = []string{"charts/web/values.yaml", "charts/web/values-prod.yaml"}

// helmRelease is the release of testdata/golden/helm's chart, as its HelmRelease names it.
func helmRelease() *Helm {
	return &Helm{
		Release: source.HelmRelease{Namespace: "shop", Name: "web", ReleaseName: "web", ReleaseNamespace: "shop", ChartPath: "charts/web",
			Namespaced: func(_, kind string) bool { return true }},
		ChartPath: "charts/web", ValuesFiles: helmValuesFiles,
	}
}

// newTestHelmLocator renders the release of the repository at root: its HelmRelease manifest in
// apps/ (unless noManifest), the chart at charts/web with its values files.
func newTestHelmLocator(t *testing.T, root string, h *Helm, noManifest bool) *helmLocator {
	t.Helper()
	ch, err := source.LoadGitChart(root, h.ChartPath, h.ValuesFiles)
	if err != nil {
		t.Fatal(err)
	}
	in := helmInput{helm: h, chart: ch, fsys: os.DirFS(root), defaultNS: "default"}
	if !noManifest {
		objs, err := source.Render(filepath.Join(root, "apps"))
		if err != nil {
			t.Fatal(err)
		}
		m := find(t, objs, "HelmRelease", "shop/web")
		m.Source = filepath.ToSlash(filepath.Join("apps", m.Source))
		in.manifest, in.manifests = &m, Files{FS: os.DirFS(root), Path: "apps"}
	}
	l, err := newHelmLocator(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGoldenHelm: a value of what a HelmRelease's chart renders is written to the values key
// that produces it, where that key's value comes from, or refused with the reason.
func TestGoldenHelm(t *testing.T) {
	type objChange struct {
		kind, object string
		change
	}
	tests := []struct {
		name       string
		noManifest bool
		valuesFrom []source.ValuesFrom
		changes    []objChange
		// unplaceable: the error each change gives, in order ("" when it is placed)
		unplaceable []string
	}{
		{
			name: "helm-release-values",
			changes: []objChange{
				{"Deployment", "shop/web", change{path: "spec.replicas", value: `4`}},
				{"ConfigMap", "shop/web", change{path: "data.LOG_LEVEL", value: `"debug"`}},
			},
			unplaceable: []string{"", ""},
		},
		{
			name: "helm-values-file",
			changes: []objChange{
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].image", value: `"registry.example.com/web:v1.2.4"`}},
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].resources.limits.memory", value: `"1Gi"`}},
			},
			unplaceable: []string{"", ""},
		},
		{
			name: "helm-chart-default-override",
			changes: []objChange{
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].env[name=GREETING].value", value: `"hi there"`}},
			},
			unplaceable: []string{""},
		},
		{
			name: "helm-refused",
			changes: []objChange{
				{"Deployment", "shop/web", change{path: "spec.minReadySeconds", value: `10`}},
				{"Deployment", "shop/web", change{path: `metadata.labels["tier"]`, value: `"backend"`}},
				{"ConfigMap", "shop/web", change{path: "data.MODE", value: `"incident"`}},
				{"Deployment", "shop/web", change{path: "spec.replicas", remove: true}},
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].resources.limits", value: `{"memory":"1Gi","cpu":"1"}`}},
			},
			unplaceable: []string{
				"no values key of HelmRelease shop/web produces spec.minReadySeconds of Deployment shop/web: it comes from the chart's template charts/web/templates/deployment.yaml",
				"no values key of HelmRelease shop/web produces metadata.labels.tier of Deployment shop/web: it comes from the chart's template charts/web/templates/deployment.yaml",
				"no values key of HelmRelease shop/web produces only this value (mode also changes Deployment shop/web spec.template.spec.containers[name=web].env[name=MODE].value)",
				"the value is gone live, and no values key of HelmRelease shop/web removes what chart web-0.1.0 renders there",
				"spec.template.spec.containers[name=web].resources.limits of Deployment shop/web is a map: driftgate finds the values key of a single value only",
			},
		},
		{
			name: "helm-no-manifest", noManifest: true,
			valuesFrom: []source.ValuesFrom{{Kind: "ConfigMap", Namespace: "shop", Name: "web-values", Key: "values.yaml", Data: []byte("logLevel: warn\n")}},
			changes: []objChange{
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].env[name=GREETING].value", value: `"hi there"`}},
				{"ConfigMap", "shop/web", change{path: "data.LOG_LEVEL", value: `"debug"`}},
				{"Deployment", "shop/web", change{path: "spec.template.spec.containers[name=web].image", value: `"registry.example.com/web:v1.2.4"`}},
			},
			unplaceable: []string{
				"the value comes from values key greeting of the chart's defaults (chart web-0.1.0), and no Flux Kustomization applies HelmRelease shop/web's manifest from Git: no override can be written",
				"the value comes from values key logLevel of HelmRelease shop/web's valuesFrom ConfigMap shop/web-values key values.yaml: change it there",
				"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join("testdata", "golden", "helm")
			h := helmRelease()
			h.ValuesFrom = tt.valuesFrom
			l := newTestHelmLocator(t, root, h, tt.noManifest)
			changes := Changes{}
			gotErrs := make([]string, len(tt.changes))
			for i, c := range tt.changes {
				gotErrs[i] = locate(t, l, root, changes, find(t, l.objects, c.kind, c.object), c.change)
			}
			checkUnplaceable(t, tt.unplaceable, gotErrs, tt.changes)
			testutil.Golden(t, filepath.Join("testdata", "golden", tt.name+".golden"), show(changes), *update, "./backport")
			// What was written renders to the live values, and nothing else changed.
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(root)); err != nil {
				t.Fatal(err)
			}
			for f, b := range changes {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			after := newTestHelmLocator(t, dir, h, tt.noManifest)
			want := map[objKey]map[string]any{}
			for k, o := range l.base {
				want[k] = jsonRoundTrip(o.Content)
			}
			for i, c := range tt.changes {
				if gotErrs[i] != "" {
					continue
				}
				var v any
				_ = json.Unmarshal([]byte(c.value), &v)
				obj := find(t, l.objects, c.kind, c.object)
				k := objKey{obj.Group(), obj.Kind(), obj.Namespace(), obj.Name()}
				segs, _ := fieldpath.Parse(c.path)
				set, err := SetIn(any(want[k]), segs, v, false)
				if err != nil {
					t.Fatal(err)
				}
				want[k] = set.(map[string]any)
			}
			got := map[objKey]map[string]any{}
			for k, o := range after.base {
				got[k] = jsonRoundTrip(o.Content)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(objKey{})); diff != "" {
				t.Errorf("the release rendered from the changed files (-want +got):\n%s", diff)
			}
		})
	}
}

// helmKustomization is the Flux Kustomization that applies testdata/golden/helm's apps/.
func helmKustomization() *Flux {
	return &Flux{Kustomization: unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"namespace": "flux-system", "name": "apps"},
		"spec":     map[string]any{"path": "./apps", "sourceRef": map[string]any{"kind": "GitRepository", "name": "fleet"}},
	}}}
}

// TestRunHelm: edits of what a HelmRelease renders are committed to the values that produce
// them, in the repository of the Kustomization that applies the HelmRelease; a value the chart's
// template writes is not written, with the reason.
func TestRunHelm(t *testing.T) {
	replicas := edit(t, "inc-7-alice-1", "INC-7", "apps/v1", "Deployment", "shop", "web", map[string][2]any{"spec.replicas": {2, 4}})
	image := edit(t, "inc-7-alice-2", "INC-7", "apps/v1", "Deployment", "shop", "web", map[string][2]any{
		"spec.template.spec.containers[name=web].image": {"registry.example.com/web:v1.2.3", "registry.example.com/web:v1.2.4"}})
	literal := edit(t, "inc-7-alice-3", "INC-7", "apps/v1", "Deployment", "shop", "web", map[string][2]any{"spec.minReadySeconds": {5, 10}})
	edits := []v1alpha1.BreakGlassEdit{replicas, image, literal}
	h := newGitHostOf(t, "testdata/golden/helm")
	before := state(t, h.bare)
	release := helmRelease()
	release.Kustomization = helmKustomization()
	src := Source{Name: "helmrelease.shop.web", URL: h.url, Revision: "main", Path: "./apps", DefaultNamespace: "default", Helm: release}
	res, err := Run(context.Background(), src, edits, grants, helmLive(t, edits), Options{DryRun: true, Author: object.Signature{Name: "Alice", Email: "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	type result struct{ State, Reason, Files string }
	got := map[string]result{}
	for _, r := range res.Edits {
		var files []string
		for _, p := range r.Paths {
			files = append(files, p.Files...)
		}
		reason, _, _ := strings.Cut(r.Reason, " (chart web-0.1.0)")
		got[r.Edit] = result{r.State, reason, strings.Join(files, ",")}
	}
	want := map[string]result{
		"inc-7-alice-1": {Written, "", "apps/web.yaml"},
		"inc-7-alice-2": {Written, "", "charts/web/values-prod.yaml"},
		"inc-7-alice-3": {NotWritten, "spec.minReadySeconds: cannot be written back: no values key of HelmRelease shop/web produces spec.minReadySeconds of Deployment shop/web: " +
			"it comes from the chart's template charts/web/templates/deployment.yaml", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("edits (-want +got):\n%s", diff)
	}
	for _, line := range []string{"-    replicaCount: 2", "+    replicaCount: 4", "-  tag: v1.2.3 # pinned by the release train", "+  tag: v1.2.4 # pinned by the release train"} {
		if !strings.Contains(res.Diff, line+"\n") {
			t.Errorf("the diff lacks %q:\n%s", line, res.Diff)
		}
	}
	if diff := cmp.Diff(before, state(t, h.bare)); diff != "" {
		t.Errorf("a dry run changed the repository (-before +after):\n%s", diff)
	}
}

// helmLive renders testdata/golden/helm's release and applies the edits' new values: the
// cluster after the break-glass writes.
func helmLive(t *testing.T, edits []v1alpha1.BreakGlassEdit) LiveFunc {
	t.Helper()
	return liveAfter(t, newTestHelmLocator(t, filepath.Join("testdata", "golden", "helm"), helmRelease(), false).base, edits)
}
