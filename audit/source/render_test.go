package source

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRender(t *testing.T) {
	deployment := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: nginx
`
	list := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: one}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: two}
`
	tests := []struct {
		name    string
		files   map[string]string
		sub     string // directory to render, relative to the temporary root
		want    []string
		wantErr string
		wantIs  error
	}{{
		name: "plain directory with nested files, a List, hidden entries and other files",
		files: map[string]string{
			"a.yaml":              configMap("a", "1"),
			"sub/deploy.yml":      deployment,
			"sub/deep/list.yaml":  list,
			"c.json":              `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"c"}}`,
			".hidden/broken.yaml": "kind: [",
			"sub/.broken.yaml":    "kind: [",
			"README.md":           "# not a manifest",
		},
		want: []string{
			"a.yaml (document 1): ConfigMap/a data=map[v:1]",
			"c.json (document 1): Namespace/c",
			"sub/deep/list.yaml (document 1) items[0]: ConfigMap/one",
			"sub/deep/list.yaml (document 1) items[1]: ConfigMap/two",
			"sub/deploy.yml (document 1): Deployment/web",
		},
	}, {
		name:  "empty directory",
		files: map[string]string{},
	}, {
		name: "kustomization with namePrefix and commonLabels",
		files: map[string]string{
			"kustomization.yaml": "namePrefix: dev-\ncommonLabels:\n  team: a\nresources:\n- cm.yaml\n",
			"cm.yaml":            configMap("cm", "1"),
		},
		want: []string{"cm.yaml (ConfigMap/dev-cm): ConfigMap/dev-cm labels=map[team:a] data=map[v:1]"},
	}, {
		name: "overlay on a base",
		files: map[string]string{
			"base/kustomization.yaml": "resources:\n- deploy.yaml\n",
			"base/deploy.yaml":        deployment,
			"overlays/prod/kustomization.yaml": `namespace: prod
namePrefix: prod-
resources:
- ../../base
patches:
- target: {kind: Deployment, name: web}
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
`,
		},
		sub:  "overlays/prod",
		want: []string{"../../base/deploy.yaml (Deployment/prod/prod-web): Deployment/prod/prod-web"},
	}, {
		name: "configMapGenerator",
		files: map[string]string{
			"Kustomization": `configMapGenerator:
- name: app
  literals: [mode=prod]
  files: [app.properties]
`,
			"app.properties": "a=b\n",
		},
		want: []string{"Kustomization (ConfigMap/app-b4g847hkfb): ConfigMap/app-b4g847hkfb data=map[app.properties:a=b\n mode:prod]"},
	}, {
		name: "subdirectory with its own kustomization among plain files",
		files: map[string]string{
			"plain.yaml":              configMap("plain", "1"),
			"app/kustomization.yml":   "namePrefix: k-\nresources:\n- cm.yaml\n",
			"app/cm.yaml":             configMap("cm", "2"),
			"zz/later.yaml":           configMap("later", "3"),
			"app/nested/ignored.yaml": "kind: [",
		},
		want: []string{
			"app/cm.yaml (ConfigMap/k-cm): ConfigMap/k-cm data=map[v:2]",
			"plain.yaml (document 1): ConfigMap/plain data=map[v:1]",
			"zz/later.yaml (document 1): ConfigMap/later data=map[v:3]",
		},
	}, {
		name: "remote resource fails before kustomize runs",
		files: map[string]string{
			"kustomization.yaml": "resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0\n",
		},
		wantErr: `render kustomization.yaml: resources "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0": remote bases`,
		wantIs:  ErrRemoteResource,
	}, {
		name: "remote base in an included kustomization",
		files: map[string]string{
			"overlay/kustomization.yaml": "resources:\n- ../base\n",
			"base/kustomization.yaml":    "resources:\n- git@github.com:org/repo.git//deploy?ref=v1\n",
		},
		sub:     "overlay",
		wantErr: `render kustomization.yaml: ../base/kustomization.yaml: resources "git@github.com:org/repo.git//deploy?ref=v1"`,
		wantIs:  ErrRemoteResource,
	}, {
		name: "remote generator file",
		files: map[string]string{
			"kustomization.yaml": "configMapGenerator:\n- name: x\n  files: [cfg=https://example.com/cfg]\n",
		},
		wantErr: `configMapGenerator "https://example.com/cfg"`,
		wantIs:  ErrRemoteResource,
	}, {
		name:    "malformed YAML names the file",
		files:   map[string]string{"ok.yaml": configMap("ok", "1"), "apps/bad.yaml": "kind: [\n"},
		wantErr: "apps/bad.yaml (document 1)",
	}, {
		name: "kustomize error names the kustomization",
		files: map[string]string{
			"apps/kustomization.yaml": "resources:\n- missing.yaml\n",
		},
		wantErr: "render apps/kustomization.yaml: ",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			got, err := Render(filepath.Join(root, filepath.FromSlash(tt.sub)))
			errText(t, err, tt.wantErr, tt.wantIs)
			if diff := cmp.Diff(tt.want, summarize(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Render() (-want +got):\n%s", diff)
			}
		})
	}
}
