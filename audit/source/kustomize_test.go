package source

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/driftgate/driftgate/audit"
)

func TestRenderKustomizeOrigins(t *testing.T) {
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: checkout
        image: shop/checkout:1
`
	service := `apiVersion: v1
kind: Service
metadata:
  name: checkout
  namespace: shop
spec:
  ports:
  - port: 80
`
	base := map[string]string{
		"base/kustomization.yaml": `resources:
- deployment.yaml
configMapGenerator:
- name: settings
  literals: [mode=base]
`,
		"base/deployment.yaml": deployment,
	}
	overlay := `namePrefix: prod-
resources:
- ../../base
- service.yaml
patches:
- path: replicas.yaml
- target: {kind: Deployment}
  patch: |-
    - op: add
      path: /metadata/annotations/team
      value: payments
`
	tests := []struct {
		name  string
		files map[string]string
		sub   string // directory to render, relative to the temporary root
		// builds are the kustomization directories (relative to sub) whose plain kustomize
		// builds, in this order, give the rendered content.
		builds []string
		want   []string
		// wantAnnotations lists "Source: annotations" for objects that have annotations.
		wantAnnotations []string
	}{{
		name: "each resource names its own file",
		files: map[string]string{
			"checkout/kustomization.yaml": "resources:\n- deployment.yaml\n- service.yaml\n",
			"checkout/deployment.yaml":    deployment,
			"checkout/service.yaml":       service,
		},
		builds: []string{"checkout"},
		want: []string{
			"checkout/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout",
			"checkout/service.yaml (Service/shop/checkout): Service/shop/checkout",
		},
	}, {
		name: "base and overlay: base objects name the base, patches do not move them",
		files: merge(base, map[string]string{
			"overlays/prod/kustomization.yaml": overlay,
			"overlays/prod/service.yaml":       service,
			"overlays/prod/replicas.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  replicas: 3
`,
		}),
		builds: []string{"base", "overlays/prod"},
		want: []string{
			"base/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout",
			"base/kustomization.yaml (ConfigMap/settings-95b7hhtd74): ConfigMap/settings-95b7hhtd74 data=map[mode:base]",
			"base/deployment.yaml (Deployment/shop/prod-checkout): Deployment/shop/prod-checkout",
			"base/kustomization.yaml (ConfigMap/prod-settings-95b7hhtd74): ConfigMap/prod-settings-95b7hhtd74 data=map[mode:base]",
			"overlays/prod/service.yaml (Service/shop/prod-checkout): Service/shop/prod-checkout",
		},
		wantAnnotations: []string{
			"base/deployment.yaml (Deployment/shop/prod-checkout): map[team:payments]",
		},
	}, {
		name:   "overlay rendered on its own names the base relative to the rendered directory",
		files:  merge(base, map[string]string{"overlays/prod/kustomization.yaml": "resources:\n- ../../base\n"}),
		sub:    "overlays/prod",
		builds: []string{"."},
		want: []string{
			"../../base/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout",
			"../../base/kustomization.yaml (ConfigMap/settings-95b7hhtd74): ConfigMap/settings-95b7hhtd74 data=map[mode:base]",
		},
	}, {
		name: "generators name the kustomization file that configures them",
		files: map[string]string{
			"app/Kustomization": `configMapGenerator:
- name: app
  literals: [mode=prod]
  files: [app.properties]
secretGenerator:
- name: creds
  literals: [user=admin]
resources:
- deployment.yaml
`,
			"app/app.properties":  "a=b\n",
			"app/deployment.yaml": deployment,
		},
		builds: []string{"app"},
		want: []string{
			"app/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout",
			"app/Kustomization (ConfigMap/app-b4g847hkfb): ConfigMap/app-b4g847hkfb data=map[app.properties:a=b\n mode:prod]",
			"app/Kustomization (Secret/creds-hmbb7mfmdf): Secret/creds-hmbb7mfmdf data=map[user:YWRtaW4=]",
		},
	}, {
		name: "a component's resource names the component's file",
		files: merge(base, map[string]string{
			"app/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../monitoring\n",
			"monitoring/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- service.yaml
`,
			"monitoring/service.yaml": service,
		}),
		sub:    "app",
		builds: []string{"."},
		want: []string{
			"../base/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout",
			"../base/kustomization.yaml (ConfigMap/settings-95b7hhtd74): ConfigMap/settings-95b7hhtd74 data=map[mode:base]",
			"../monitoring/service.yaml (Service/shop/checkout): Service/shop/checkout",
		},
	}, {
		name: "originAnnotations asked for by the kustomization stay in the content",
		files: map[string]string{
			"checkout/kustomization.yaml": "buildMetadata: [originAnnotations]\nresources:\n- deployment.yaml\n",
			"checkout/deployment.yaml":    deployment,
		},
		builds: []string{"checkout"},
		want:   []string{"checkout/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout"},
		wantAnnotations: []string{
			"checkout/deployment.yaml (Deployment/shop/checkout): map[config.kubernetes.io/origin:path: deployment.yaml\n]",
		},
	}, {
		name: "generator with originAnnotations asked for keeps configuredIn",
		files: map[string]string{
			"app/kustomization.yaml": "buildMetadata: [originAnnotations]\nconfigMapGenerator:\n- name: app\n  literals: [mode=prod]\n",
		},
		builds: []string{"app"},
		want:   []string{"app/kustomization.yaml (ConfigMap/app-mgc92dd9c6): ConfigMap/app-mgc92dd9c6 data=map[mode:prod]"},
		wantAnnotations: []string{
			"app/kustomization.yaml (ConfigMap/app-mgc92dd9c6): map[config.kubernetes.io/origin:configuredIn: kustomization.yaml\n" +
				"configuredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n]",
		},
	}, {
		name: "annotations written in the resource file: internal ones kept, a stale origin replaced and removed",
		files: map[string]string{
			"kustomization.yaml": "resources: [a.yaml]\n",
			"a.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    internal.config.kubernetes.io/note: kept
    config.kubernetes.io/origin: "path: elsewhere.yaml"
`,
		},
		builds:          []string{"."},
		want:            []string{"a.yaml (ConfigMap/a): ConfigMap/a"},
		wantAnnotations: []string{"a.yaml (ConfigMap/a): map[internal.config.kubernetes.io/note:kept]"},
	}, {
		name: "other buildMetadata is kept: managed-by label and transformer annotations",
		files: map[string]string{
			"checkout/kustomization.yaml": `# comment
buildMetadata:
- managedByLabel
- transformerAnnotations
namespace: shop
resources:
- deployment.yaml
`,
			"checkout/deployment.yaml": deployment,
		},
		builds: []string{"checkout"},
		want: []string{
			"checkout/deployment.yaml (Deployment/shop/checkout): Deployment/shop/checkout " +
				"labels=map[app.kubernetes.io/managed-by:kustomize-(devel)]",
		},
		wantAnnotations: []string{
			"checkout/deployment.yaml (Deployment/shop/checkout): map[alpha.config.kubernetes.io/transformations:" +
				"- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion: builtin\n    kind: NamespaceTransformer\n]",
		},
	}, {
		name: "JSON kustomization, own annotations kept, an empty annotations map dropped as kustomize does",
		files: map[string]string{
			"kustomization.json.d/kustomization.yaml": `{"commonAnnotations": {"owner": "shop"}, "resources": ["a.yaml", "b.yaml"]}`,
			"kustomization.json.d/a.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {}\n",
			"kustomization.json.d/b.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations: {note: kept}\n",
			"plain/kustomization.yaml":                "resources: [a.yaml]\n",
			"plain/a.yaml":                            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {}\n",
		},
		builds: []string{"kustomization.json.d", "plain"},
		want: []string{
			"kustomization.json.d/a.yaml (ConfigMap/a): ConfigMap/a",
			"kustomization.json.d/b.yaml (ConfigMap/b): ConfigMap/b",
			"plain/a.yaml (ConfigMap/a): ConfigMap/a",
		},
		wantAnnotations: []string{
			"kustomization.json.d/a.yaml (ConfigMap/a): map[owner:shop]",
			"kustomization.json.d/b.yaml (ConfigMap/b): map[note:kept owner:shop]",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			dir := filepath.Join(root, filepath.FromSlash(tt.sub))
			got, err := Render(dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Render() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAnnotations, annotations(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			var want []map[string]any
			for _, b := range tt.builds {
				want = append(want, plainBuild(t, filepath.Join(dir, filepath.FromSlash(b)))...)
			}
			if diff := cmp.Diff(want, contents(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("content differs from a plain kustomize build (-want +got):\n%s", diff)
			}
			for name, content := range tt.files {
				data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
				if err != nil || string(data) != content {
					t.Errorf("%s changed on disk: %q, %v", name, data, err)
				}
			}
		})
	}
}

// TestRenderKustomizeWithoutOrigins covers kustomization files that cannot be given
// originAnnotations: kustomize then behaves as without them and Source is the kustomization.
func TestRenderKustomizeWithoutOrigins(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    []string
		wantErr string
	}{{
		name:    "empty kustomization still fails as empty",
		files:   map[string]string{"kustomization.yaml": "# nothing\n"},
		wantErr: "render kustomization.yaml: kustomization.yaml is empty",
	}, {
		name:    "unknown field still fails",
		files:   map[string]string{"kustomization.yaml": "resourcez: [cm.yaml]\n", "cm.yaml": configMap("cm", "1")},
		wantErr: `render kustomization.yaml: invalid Kustomization: json: unknown field "resourcez"`,
	}, {
		name: "anchored buildMetadata: built unchanged, Source is the kustomization",
		files: map[string]string{
			"kustomization.yaml": "buildMetadata: &m [managedByLabel]\nresources: [cm.yaml]\n",
			"cm.yaml":            configMap("cm", "1"),
		},
		want: []string{
			"kustomization.yaml (ConfigMap/cm): ConfigMap/cm labels=map[app.kubernetes.io/managed-by:kustomize-(devel)] data=map[v:1]",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			got, err := Render(root)
			errText(t, err, tt.wantErr, nil)
			if diff := cmp.Diff(tt.want, summarize(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Render() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithOriginAnnotations(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantMode originMode
		want     []string // buildMetadata of the result
	}{
		{name: "no buildMetadata", in: "resources: [a.yaml]\n", wantMode: addedOrigins, want: []string{"originAnnotations"}},
		{name: "block list", in: "buildMetadata:\n- managedByLabel\nresources: [a.yaml]\n", wantMode: addedOrigins,
			want: []string{"managedByLabel", "originAnnotations"}},
		{name: "flow list", in: "buildMetadata: [transformerAnnotations]\nresources: [a.yaml]\n", wantMode: addedOrigins,
			want: []string{"transformerAnnotations", "originAnnotations"}},
		{name: "empty list", in: "buildMetadata: []\nresources: [a.yaml]\n", wantMode: addedOrigins, want: []string{"originAnnotations"}},
		{name: "null", in: "buildMetadata:\nresources: [a.yaml]\n", wantMode: addedOrigins, want: []string{"originAnnotations"}},
		{name: "key in another case", in: "BuildMetadata: [managedByLabel]\nresources: [a.yaml]\n", wantMode: addedOrigins,
			want: []string{"managedByLabel", "originAnnotations"}},
		{name: "JSON", in: `{"resources": ["a.yaml"]}`, wantMode: addedOrigins, want: []string{"originAnnotations"}},
		{name: "already asked for", in: "buildMetadata: [originAnnotations]\nresources: [a.yaml]\n", wantMode: ownOrigins},
		{name: "anchored list", in: "buildMetadata: &m [managedByLabel]\nnameSuffix: -x\nresources: [a.yaml]\n", wantMode: noOrigins},
		{name: "empty", in: "", wantMode: noOrigins},
		{name: "invalid", in: "resources: [\n", wantMode: noOrigins},
		{name: "not a string list", in: "buildMetadata: managedByLabel\n", wantMode: noOrigins},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, mode := withOriginAnnotations([]byte(tt.in))
			if mode != tt.wantMode {
				t.Fatalf("mode = %d, want %d", mode, tt.wantMode)
			}
			if mode != addedOrigins {
				return
			}
			var k types.Kustomization
			if err := k.Unmarshal(out); err != nil {
				t.Fatalf("result %q: %v", out, err)
			}
			if diff := cmp.Diff(tt.want, k.BuildMetadata); diff != "" {
				t.Errorf("buildMetadata of %q (-want +got):\n%s", out, diff)
			}
		})
	}
}

// merge returns the union of file maps.
func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// annotations lists "source: annotations" for objects with annotations, sorted.
func annotations(objs []audit.Object) []string {
	var out []string
	for _, o := range objs {
		meta, _ := o.Content["metadata"].(map[string]any)
		if a, ok := meta["annotations"]; ok {
			out = append(out, o.Source+": "+strings.TrimSpace(stringify(a)))
		}
	}
	sort.Strings(out)
	return out
}

func stringify(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return "not a map"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := "map["
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += k + ":" + m[k].(string)
	}
	return s + "]"
}

// contents are the objects' contents.
func contents(objs []audit.Object) []map[string]any {
	out := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Content)
	}
	return out
}

// plainBuild builds dir as kustomize does by default, reading the files as they are.
func plainBuild(t *testing.T, dir string) []map[string]any {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
