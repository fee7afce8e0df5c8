package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// testChart is a chart web with a Deployment (image and replicas from values), a ConfigMap
// (greeting from values) and a ClusterRole; extra is added to the Deployment's template.
func testChart(t testing.TB, extra string) Artifact {
	t.Helper()
	src := t.TempDir()
	files := map[string]string{
		"web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"web/values.yaml": "replicaCount: 1\nimage:\n  repository: registry.example.com/web\n  tag: v1\ngreeting: hi\n",
		"web/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {{ .Values.replicaCount }}\n" +
			"  template:\n    spec:\n      containers:\n      - name: web\n        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n" + extra,
		"web/templates/configmap.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  GREETING: {{ .Values.greeting | quote }}\n",
		"web/templates/clusterrole.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: web-{{ .Release.Namespace }}\n",
		"web/templates/NOTES.txt":        "installed\n",
	}
	for name, content := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := loader.LoadDir(filepath.Join(src, "web"))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	archive, err := chartutil.Save(ch, out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	srv := httptest.NewServer(http.FileServer(http.Dir(out)))
	t.Cleanup(srv.Close)
	return Artifact{URL: srv.URL + "/" + filepath.Base(archive), Digest: "sha256:" + hex.EncodeToString(sum[:]), Revision: "0.1.0"}
}

func TestComposeValues(t *testing.T) {
	tests := []struct {
		name    string
		from    []ValuesFrom
		inline  map[string]any
		want    map[string]any
		origins ValueOrigins
		err     string
	}{{
		name: "in order, spec.values last",
		from: []ValuesFrom{
			{Kind: "ConfigMap", Namespace: "flux-system", Name: "a", Key: "values.yaml", Data: []byte("image: {tag: v1, repository: r}\nreplicaCount: 1\n")},
			{Kind: "Secret", Namespace: "flux-system", Name: "b", Key: "values.yaml", Data: []byte("image: {tag: v2}\n")},
			{Kind: "ConfigMap", Namespace: "flux-system", Name: "absent", Key: "values.yaml"}, // optional, not there
		},
		inline: map[string]any{"replicaCount": float64(3)},
		want:   map[string]any{"image": map[string]any{"tag": "v2", "repository": "r"}, "replicaCount": float64(3)},
		origins: ValueOrigins{
			"image.repository": "valuesFrom ConfigMap flux-system/a key values.yaml",
			"image.tag":        "valuesFrom Secret flux-system/b key values.yaml",
			"replicaCount":     "spec.values.replicaCount",
		},
	}, {
		name: "targetPath sets the whole value as a string",
		from: []ValuesFrom{{Kind: "Secret", Namespace: "ns", Name: "s", Key: "token", TargetPath: "auth.token", Data: []byte("a,b=c")}},
		want: map[string]any{"auth": map[string]any{"token": "a,b=c"}}, origins: ValueOrigins{"auth.token": "valuesFrom Secret ns/s key token"},
	}, {
		name: "a ConfigMap that is not YAML says the parser's message",
		from: []ValuesFrom{{Kind: "ConfigMap", Namespace: "ns", Name: "c", Key: "values.yaml", Data: []byte("a: [1\n")}},
		err:  "spec.valuesFrom[0] (ConfigMap ns/c key values.yaml) is not YAML: error converting YAML to JSON",
	}, {
		name: "a Secret that is not YAML: its content stays out of the message",
		from: []ValuesFrom{{Kind: "Secret", Namespace: "ns", Name: "s", Key: "values.yaml", Data: []byte("password: [hunter2\n")}},
		err:  "spec.valuesFrom[0] (Secret ns/s key values.yaml) is not YAML: the parser's message is left out, as it may quote the Secret",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, origins, err := ComposeValues(tt.from, tt.inline)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %v, want one starting %q (and no Secret content)", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.origins, origins); diff != "" {
				t.Errorf("origins (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchHelm(t *testing.T) {
	namespaced := func(group, kind string) bool { return kind != "ClusterRole" }
	t.Run("renders as helm-controller installs", func(t *testing.T) {
		vals, origins, err := ComposeValues([]ValuesFrom{{Kind: "ConfigMap", Namespace: "flux-system", Name: "v", Key: "values.yaml", Data: []byte("greeting: hello\n")}},
			map[string]any{"replicaCount": float64(2)})
		if err != nil {
			t.Fatal(err)
		}
		h := HelmRelease{Namespace: "flux-system", Name: "web", ReleaseName: "web", ReleaseNamespace: "shop",
			Chart: testChart(t, ""), Values: vals, Origins: origins, Namespaced: namespaced}
		snap, err := (&Fetcher{Dir: t.TempDir()}).FetchHelm(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		type obj struct{ Kind, Namespace, Name, Labels, Annotations, Extra, Source string }
		var got []obj
		for _, o := range snap.Objects {
			extra := ""
			switch o.Kind() {
			case "Deployment":
				extra = toJSON(t, o.Content["spec"].(map[string]any)["replicas"])
			case "ConfigMap":
				extra = toJSON(t, o.Content["data"])
			}
			got = append(got, obj{o.Kind(), o.Namespace(), o.Name(), toJSON(t, o.Labels()), toJSON(t, o.Annotations()), extra, o.Source})
		}
		labels := `{"app.kubernetes.io/managed-by":"Helm","helm.toolkit.fluxcd.io/name":"web","helm.toolkit.fluxcd.io/namespace":"flux-system"}`
		ann := `{"meta.helm.sh/release-name":"web","meta.helm.sh/release-namespace":"shop"}`
		want := []obj{ // in Helm's install order
			{"ConfigMap", "shop", "web", labels, ann, `{"GREETING":"hello"}`,
				"valuesFrom ConfigMap flux-system/v key values.yaml (template chart web-0.1.0 templates/configmap.yaml; values: greeting from valuesFrom ConfigMap flux-system/v key values.yaml)"},
			{"ClusterRole", "", "web-shop", labels, ann, "", "chart web-0.1.0 templates/clusterrole.yaml"},
			{"Deployment", "shop", "web", labels, ann, "2",
				"chart web-0.1.0 templates/deployment.yaml (template chart web-0.1.0 templates/deployment.yaml; values: image.repository from the chart's defaults, replicaCount from spec.values.replicaCount)"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rendered objects (-want +got):\n%s", diff)
		}
		if snap.Revision != "0.1.0" {
			t.Errorf("revision %q, want the chart artifact's 0.1.0", snap.Revision)
		}
	})
	for _, tt := range []struct {
		name  string
		art   func(t *testing.T) Artifact
		want  string
		extra string
	}{
		{name: "a template that fails", extra: "        args: [{{ required \"image.digest is required\" .Values.image.digest }}]\n",
			want: "HelmRelease flux-system/web: rendering chart web 0.1.0: execution error at (web/templates/deployment.yaml:12:18): image.digest is required"},
		{name: "an artifact that does not match its digest", art: func(t *testing.T) Artifact {
			a := testChart(t, "")
			a.Digest = "sha256:" + strings.Repeat("0", 64)
			return a
		}, want: "HelmRelease flux-system/web: chart 0.1.0: its content does not match its digest"},
		{name: "source-controller not reachable", art: func(t *testing.T) Artifact {
			a := testChart(t, "")
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			a.URL = "http://" + l.Addr().String() + "/helmchart/web-0.1.0.tgz"
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			return a
		}, want: "HelmRelease flux-system/web: chart 0.1.0: fetching from source-controller: Get \"http://127.0.0.1:"},
		{name: "an artifact source-controller no longer has", art: func(t *testing.T) Artifact {
			a := testChart(t, "")
			a.URL += ".gone"
			return a
		}, want: "HelmRelease flux-system/web: chart 0.1.0: fetching from source-controller: 404 Not Found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			art := testChart(t, tt.extra)
			if tt.art != nil {
				art = tt.art(t)
			}
			h := HelmRelease{Namespace: "flux-system", Name: "web", ReleaseName: "web", ReleaseNamespace: "shop", Chart: art, Namespaced: namespaced}
			_, err := (&Fetcher{Dir: t.TempDir()}).FetchHelm(context.Background(), h)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line starting %q", err, tt.want)
			}
		})
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkFetchHelm40 downloads and renders a 40-object chart (20 Deployments, 20 ConfigMaps)
// per iteration, as one fetch of a HelmRelease source does.
func BenchmarkFetchHelm40(b *testing.B) {
	extra := "---\n{{- range $i := until 19 }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{{ $i }}\nspec:\n  replicas: {{ $.Values.replicaCount }}\n" +
		"  template:\n    spec:\n      containers:\n      - name: web\n        image: \"{{ $.Values.image.repository }}:{{ $.Values.image.tag }}\"\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-{{ $i }}\ndata:\n  GREETING: {{ $.Values.greeting | quote }}\n---\n{{- end }}\n"
	art := testChart(b, extra)
	f := &Fetcher{Dir: b.TempDir()}
	h := HelmRelease{Namespace: "flux-system", Name: "web", ReleaseName: "web", ReleaseNamespace: "shop", Chart: art,
		Values: map[string]any{"replicaCount": float64(2)}, Namespaced: func(_, kind string) bool { return kind != "ClusterRole" }}
	b.ResetTimer()
	for b.Loop() {
		snap, err := f.FetchHelm(context.Background(), h)
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Objects) != 41 {
			b.Fatalf("%d objects, want 41", len(snap.Objects))
		}
	}
}

// TestLoadGitChart: a chart in Git is loaded as source-controller packages it: its values files
// merged in order replace its defaults; a values file that is not YAML, or missing, is one line
// naming it.
func TestLoadGitChart(t *testing.T) {
	tests := []struct {
		name        string
		valuesFiles []string
		files       map[string]string
		want        map[string]any
		err         string
	}{
		{name: "no values files: the chart's defaults", want: map[string]any{"replicaCount": float64(1), "image": map[string]any{"tag": "v1"}}},
		{name: "values files merged in order, the chart's values.yaml only when listed",
			valuesFiles: []string{"env/base.yaml", "env/prod.yaml"},
			files:       map[string]string{"env/base.yaml": "image: {tag: v2, pullPolicy: Always}\n", "env/prod.yaml": "image: {tag: v3}\n"},
			want:        map[string]any{"image": map[string]any{"tag": "v3", "pullPolicy": "Always"}}},
		{name: "a values file that is not YAML", valuesFiles: []string{"env/prod.yaml"}, files: map[string]string{"env/prod.yaml": "image: [v1\n"},
			err: "the chart's values file env/prod.yaml is not YAML: "},
		{name: "a values file that is not there", valuesFiles: []string{"env/absent.yaml"},
			err: "the chart's values file env/absent.yaml: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			files := map[string]string{
				"charts/web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
				"charts/web/values.yaml": "replicaCount: 1\nimage:\n  tag: v1\n",
			}
			maps.Copy(files, tt.files)
			for name, content := range files {
				p := filepath.Join(repo, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ch, err := LoadGitChart(repo, "charts/web", tt.valuesFiles)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line starting %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, ch.Values); diff != "" {
				t.Errorf("the chart's values (-want +got):\n%s", diff)
			}
		})
	}
}
