package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/driftgate/driftgate/audit"
)

// fetchApp renders an Application of one source of repo (its spec.source) into namespace prod.
func fetchApp(t *testing.T, repo *testRepo, src ArgoSource) ([]audit.Object, error) {
	t.Helper()
	src.RepoURL = repo.fileURL()
	f := &Fetcher{Dir: t.TempDir()}
	snap, err := f.FetchApplication(context.Background(), Application{Namespace: "argocd", Name: "shop",
		DestinationNamespace: "prod", Sources: []ApplicationSource{{ArgoSource: src, Field: "spec.source", Revision: "main"}}})
	return snap.Objects, err
}

// sources are the objects' Sources (their files in Git), sorted.
func sources(objs []audit.Object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Source)
	}
	slices.Sort(out)
	return out
}

// TestArgoDirectory: a directory source reads what Argo CD's repo server reads: the path's
// *.yaml, *.yml and *.json files (hidden ones too), subdirectories only with recurse, include
// and exclude matched against the path below the source's path with Argo CD's globs (`*`
// crossing "/", {a,b}), files with the skip-rendering marker and YAML that is no manifest left
// out.
func TestArgoDirectory(t *testing.T) {
	repo := newRepo(t)
	repo.commit("app", map[string]string{
		"app/a.yaml":           configMap("a", "1"),
		"app/b.yml":            configMap("b", "1"),
		"app/c.json":           `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`,
		"app/.hidden.yaml":     configMap("hidden", "1"),
		"app/skip.yaml":        "# +argocd:skip-file-rendering\n" + configMap("skip", "1"),
		"app/values.yaml":      "replicas: 2\nimage: {tag: v1}\n",
		"app/README.md":        "not a manifest",
		"app/manifest.txt":     configMap("txt", "1"),
		"app/sub/d.yaml":       configMap("d", "1"),
		"app/sub/deep/e.yaml":  configMap("e", "1"),
		"app/sub/deep/f.yaml":  configMap("f", "1"),
		"elsewhere/g.yaml":     configMap("g", "1"),
		"app/.git-like/h.yaml": configMap("h", "1"),
	})
	for _, tt := range []struct {
		name string
		dir  *ArgoDirectory
		want []string
	}{{
		name: "disableExtensionFilter: every file include selects, README.md no manifest",
		dir:  &ArgoDirectory{DisableExtensionFilter: true, Include: "{README.md,manifest.txt}"},
		want: []string{"app/manifest.txt (document 1)"},
	}, {
		name: "the path's own files",
		want: []string{"app/.hidden.yaml (document 1)", "app/a.yaml (document 1)", "app/b.yml (document 1)", "app/c.json (document 1)"},
	}, {
		name: "recurse",
		dir:  &ArgoDirectory{Recurse: true},
		want: []string{"app/.git-like/h.yaml (document 1)", "app/.hidden.yaml (document 1)", "app/a.yaml (document 1)", "app/b.yml (document 1)",
			"app/c.json (document 1)", "app/sub/d.yaml (document 1)", "app/sub/deep/e.yaml (document 1)", "app/sub/deep/f.yaml (document 1)"},
	}, {
		name: "include: * crosses directories",
		dir:  &ArgoDirectory{Recurse: true, Include: "sub/*"},
		want: []string{"app/sub/d.yaml (document 1)", "app/sub/deep/e.yaml (document 1)", "app/sub/deep/f.yaml (document 1)"},
	}, {
		name: "include alternatives",
		dir:  &ArgoDirectory{Recurse: true, Include: "{a.yaml,sub/deep/e.yaml}"},
		want: []string{"app/a.yaml (document 1)", "app/sub/deep/e.yaml (document 1)"},
	}, {
		name: "exclude over include",
		dir:  &ArgoDirectory{Recurse: true, Include: "*.yaml", Exclude: "{sub/deep/*,.*}"},
		want: []string{"app/a.yaml (document 1)", "app/sub/d.yaml (document 1)"},
	}, {
		name: "include without recurse",
		dir:  &ArgoDirectory{Include: "sub/*"},
		want: []string{},
	}, {
		name: "an include that does not compile includes nothing",
		dir:  &ArgoDirectory{Recurse: true, Include: "[a"},
		want: []string{},
	}, {
		name: "an exclude that does not compile excludes nothing",
		dir:  &ArgoDirectory{Exclude: "[a"},
		want: []string{"app/.hidden.yaml (document 1)", "app/a.yaml (document 1)", "app/b.yml (document 1)", "app/c.json (document 1)"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := fetchApp(t, repo, ArgoSource{Path: "app", Directory: tt.dir})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sources(objs)); diff != "" {
				t.Errorf("files read (-want +got):\n%s", diff)
			}
			for _, o := range objs {
				if o.Namespace() != "prod" {
					t.Errorf("%s is in namespace %q, want the destination's", o.Source, o.Namespace())
				}
			}
		})
	}
}

// TestArgoSourceBadInput: what driftgate cannot render, or Argo CD would refuse, is an error
// naming it; nothing is rendered.
func TestArgoSourceBadInput(t *testing.T) {
	repo := newRepo(t)
	repo.commit("app", map[string]string{
		"app/a.jsonnet":          "{}",
		"broken/a.yaml":          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n",
		"k/kustomization.yaml":   "commonLabels: {team: web}\nresources: [a.yaml]\n",
		"k/a.yaml":               configMap("a", "1"),
		"chart/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"chart/templates/a.yaml": configMap("a", "{{ .Values.v }}"),
		"deps/Chart.yaml": "apiVersion: v2\nname: deps\nversion: 0.1.0\n" +
			"dependencies: [{name: redis, version: 1.0.0, repository: https://charts.example.com}]\n",
		"deps/templates/a.yaml": configMap("a", "1"),
	})
	for _, tt := range []struct {
		name string
		src  ArgoSource
		want string
		is   error
	}{
		{"plugin", ArgoSource{Path: "app", Plugin: map[string]any{"name": "envsubst"}}, "a config management plugin source is not rendered by driftgate", ErrUnsupportedSource},
		{"chart repository", ArgoSource{Chart: "web", TargetRevision: "0.1.0"}, `a chart from a Helm or OCI repository (chart "web") is not rendered by driftgate yet`, ErrUnsupportedSource},
		{"jsonnet", ArgoSource{Path: "app"}, "app/a.jsonnet: Jsonnet is not rendered by driftgate", ErrUnsupportedSource},
		{"a manifest that does not parse", ArgoSource{Path: "broken"}, "broken/a.yaml", nil},
		{"kustomize option not rendered", ArgoSource{Path: "k", Kustomize: &ArgoKustomize{Unsupported: []string{"patches", "replicas"}}},
			"kustomize.patches, kustomize.replicas not rendered by driftgate yet", ErrUnsupportedSource},
		{"label there already", ArgoSource{Path: "k", Kustomize: &ArgoKustomize{CommonLabels: map[string]string{"team": "shop"}}},
			"label team is in the kustomization file already, and force is not set", nil},
		{"label there already, same value", ArgoSource{Path: "k", Kustomize: &ArgoKustomize{CommonLabels: map[string]string{"team": "web"}}},
			"label team is in the kustomization file already, and force is not set", nil},
		{"image without tag", ArgoSource{Path: "k", Kustomize: &ArgoKustomize{Images: []string{"nginx"}}}, `kustomize.images "nginx"`, nil},
		{"chart dependency not in Git", ArgoSource{Path: "deps"}, "not rendered by driftgate: chart deps", ErrUnsupportedSource},
		{"two types", ArgoSource{Path: "k", Kustomize: &ArgoKustomize{}, Directory: &ArgoDirectory{}}, "more than one of directory, kustomize and helm", nil},
		{"value file missing", ArgoSource{Path: "chart", Helm: &ArgoHelm{ValueFiles: []string{"prod.yaml"}}}, `helm.valueFiles "prod.yaml"`, ErrPathNotFound},
		{"value file outside the repository", ArgoSource{Path: "chart", Helm: &ArgoHelm{ValueFiles: []string{"../../x.yaml"}}}, "leaves the repository", ErrInvalidPath},
		{"path missing", ArgoSource{Path: "nowhere"}, `path "nowhere"`, ErrPathNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := fetchApp(t, repo, tt.src)
			errText(t, err, tt.want, tt.is)
			if len(objs) != 0 {
				t.Errorf("rendered %d objects", len(objs))
			}
		})
	}
}

// TestArgoKustomize: a kustomize source is built with the Application's options written into
// its kustomization as Argo CD's kustomize edit commands write them.
func TestArgoKustomize(t *testing.T) {
	repo := newRepo(t)
	repo.commit("app", map[string]string{
		"app/kustomization.yaml": "commonLabels: {team: web}\nimages: [{name: nginx, newName: mirror/nginx}]\nresources: [deploy.yaml]\n",
		"app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
			"  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1}, {name: side, image: busybox:1}]\n",
	})
	objs, err := fetchApp(t, repo, ArgoSource{Path: "app", Kustomize: &ArgoKustomize{
		NamePrefix: "shop-", NameSuffix: "-v2", Namespace: "shop",
		Images:       []string{"nginx=*:2", "busybox=registry.example.com/busybox@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
		CommonLabels: map[string]string{"team": "shop", "tier": "front"}, ForceCommonLabels: true,
		CommonAnnotations: map[string]string{"owner": "shop"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	o := objs[0]
	spec := o.Content["spec"].(map[string]any)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	got := map[string]any{
		"name": o.Name(), "namespace": o.Namespace(), "labels": o.Labels(), "annotations": o.Annotations(),
		"selector": spec["selector"], "images": []any{pod["containers"].([]any)[0].(map[string]any)["image"], pod["containers"].([]any)[1].(map[string]any)["image"]},
		"source": o.Source,
	}
	want := map[string]any{
		"name": "shop-web-v2", "namespace": "shop",
		"labels":      map[string]any{"team": "shop", "tier": "front"},
		"annotations": map[string]any{"owner": "shop"},
		"selector":    map[string]any{"matchLabels": map[string]any{"app": "web", "team": "shop", "tier": "front"}},
		"images":      []any{"mirror/nginx:2", "registry.example.com/busybox@sha256:0123456789012345678901234567890123456789012345678901234567890123"},
		"source":      "app/deploy.yaml (Deployment/shop/shop-web-v2)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the Deployment (-want +got):\n%s", diff)
	}
}

// TestArgoHelm: a helm source renders the chart in Git as `helm template` with Argo CD's flags:
// value files in order (one from another source by $ref), then values, then parameters (a comma
// literal, forceString a string), the release name and the destination namespace; hooks are not
// rendered, nor Flux's labels; hints name where each value comes from.
func TestArgoHelm(t *testing.T) {
	repo := newRepo(t)
	repo.commit("chart", map[string]string{
		"charts/web/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":      "greeting: hello\ncolor: red\nsize: 1\nlist: x\nflag: off\n",
		"charts/web/values-prod.yaml": "greeting: bonjour\ncolor: blue\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n" +
			"data:\n  greeting: {{ .Values.greeting | quote }}\n  color: {{ .Values.color | quote }}\n  size: {{ .Values.size | quote }}\n" +
			"  list: {{ .Values.list | quote }}\n  flag: {{ kindOf .Values.flag | quote }}\n",
		"charts/web/templates/hook.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hook\n  annotations: {\"helm.sh/hook\": test}\n",
		"env/prod.yaml":                  "size: 3\n",
	})
	f := &Fetcher{Dir: t.TempDir()}
	snap, err := f.FetchApplication(context.Background(), Application{Namespace: "argocd", Name: "shop", DestinationNamespace: "prod",
		Sources: []ApplicationSource{{Field: "spec.sources[0]", Revision: "main", ArgoSource: ArgoSource{RepoURL: repo.fileURL(), Path: "charts/web",
			Helm: &ArgoHelm{
				ValueFiles: []string{"values-prod.yaml", "$env/env/prod.yaml"},
				Values:     "color: green\n",
				Parameters: []ArgoHelmParameter{{Name: "list", Value: "a,b"}, {Name: "flag", Value: "true", ForceString: true}},
			}}}, {Field: "spec.sources[1]", Revision: "main", ArgoSource: ArgoSource{RepoURL: repo.fileURL(), Ref: "env"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Objects) != 1 {
		t.Fatalf("rendered %v, want the ConfigMap only", sources(snap.Objects))
	}
	o := snap.Objects[0]
	got := map[string]any{"name": o.Name(), "namespace": o.Namespace(), "data": o.Content["data"], "labels": o.Labels(), "source": o.Source}
	want := map[string]any{"name": "shop", "namespace": "prod", "labels": map[string]any(nil),
		"data": map[string]any{"greeting": "bonjour", "color": "green", "size": "3", "list": "a,b", "flag": "string"},
		"source": "charts/web/templates/cm.yaml (template charts/web/templates/cm.yaml; values: color from spec.sources[0].helm.values.color, " +
			"greeting from charts/web/values-prod.yaml, list from spec.sources[0].helm.parameters[0], size from $env/env/prod.yaml)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the ConfigMap (-want +got):\n%s", diff)
	}
	if len(snap.Revision) != 12*2+1 {
		t.Errorf("revision %q, want the two sources' commits, 12 digits each", snap.Revision)
	}
}

// TestArgoPostRender: what Argo CD does before it compares and applies: the destination
// namespace on namespaced objects that name none (not over a namespace Git names), none on
// cluster-scoped ones even where Git names one, the tracking label on every object but a CRD
// (cut to 63 characters with annotation+label tracking); hooks (Argo CD's, Skip included, and
// Helm's but crd-install) and objects with only a generateName are no resources of the
// Application.
func TestArgoPostRender(t *testing.T) {
	repo := newRepo(t)
	repo.commit("app", map[string]string{
		"a.yaml":   configMap("a", "1"),
		"b.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: other}\n",
		"ns.yaml":  "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod, namespace: stray}\n",
		"crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n",
		"hooks.yaml": `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, annotations: {argocd.argoproj.io/hook: PreSync}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: skipped, annotations: {argocd.argoproj.io/hook: Skip}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: helm-test, annotations: {helm.sh/hook: test}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: crd-install, annotations: {helm.sh/hook: crd-install}}
---
apiVersion: batch/v1
kind: Job
metadata: {generateName: smoke-}
`,
	})
	long := strings.Repeat("x", 60) + "-_.y"
	for _, tt := range []struct {
		name, app string
		truncate  bool
		want      map[string]string
	}{{
		name: "label tracking", app: "shop",
		want: map[string]string{"ConfigMap/a": "prod shop", "ConfigMap/b": "other shop", "Namespace/prod": " shop",
			"ConfigMap/crd-install": "prod shop", "CustomResourceDefinition/widgets.example.com": " -"},
	}, {
		name: "annotation+label tracking cuts the label", app: long, truncate: true,
		want: map[string]string{"ConfigMap/a": "prod " + long[:60], "ConfigMap/b": "other " + long[:60], "Namespace/prod": " " + long[:60],
			"ConfigMap/crd-install": "prod " + long[:60], "CustomResourceDefinition/widgets.example.com": " -"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fetcher{Dir: t.TempDir()}
			snap, err := f.FetchApplication(context.Background(), Application{Namespace: "argocd", Name: tt.app, DestinationNamespace: "prod",
				TrackingLabel: "app.kubernetes.io/instance", TruncateTrackingLabel: tt.truncate,
				Namespaced: func(group, kind string) bool { return kind != "Namespace" && kind != "CustomResourceDefinition" },
				Sources:    []ApplicationSource{{Field: "spec.source", ArgoSource: ArgoSource{RepoURL: repo.fileURL(), TargetRevision: "main"}}}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, o := range snap.Objects {
				label, ok := o.Labels()["app.kubernetes.io/instance"].(string)
				if !ok {
					label = "-"
				}
				got[o.Kind()+"/"+o.Name()] = o.Namespace() + " " + label
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("objects, namespaces and tracking labels (-want +got):\n%s", diff)
			}
			if len(snap.Revision) != 40 {
				t.Errorf("revision %q, want targetRevision's commit (no revision compared)", snap.Revision)
			}
		})
	}
}

// TestArgoRevision: a source is read at the commit Argo CD compared. When that is its
// targetRevision's head (the usual case), only that is fetched, shallow; an older commit fetches
// the whole history.
func TestArgoRevision(t *testing.T) {
	repo := newRepo(t)
	old := repo.commit("one", map[string]string{"a.yaml": configMap("a", "1")})
	head := repo.commit("two", map[string]string{"a.yaml": configMap("a", "2")})
	for _, tt := range []struct {
		name     string
		revision string
		want     string
		full     bool
	}{
		{"the head Argo CD compared", head.String(), "map[v:2]", false},
		{"an older commit", old.String(), "map[v:1]", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := &Fetcher{Dir: dir}
			snap, err := f.FetchApplication(context.Background(), Application{Namespace: "argocd", Name: "shop", DestinationNamespace: "prod",
				Sources: []ApplicationSource{{Field: "spec.source", Revision: tt.revision, ArgoSource: ArgoSource{RepoURL: repo.fileURL(), TargetRevision: "main"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(snap.Objects[0].Content["data"]); got != tt.want || snap.Revision != tt.revision {
				t.Errorf("data %s at %s, want %s at %s", got, snap.Revision, tt.want, tt.revision)
			}
			full, _ := filepath.Glob(filepath.Join(dir, "*-full"))
			if (len(full) > 0) != tt.full {
				t.Errorf("full clones %v, want one: %t", full, tt.full)
			}
		})
	}
}

// TestArgoBuildEnvironment: Argo CD's build environment (ARGOCD_APP_NAME and the rest) is
// substituted where its repo server substitutes it: helm parameters' values and value file
// paths, kustomize images and common labels, common annotations only with
// commonAnnotationsEnvsubst, never helm values; $$ is a literal $, and an unknown name is
// empty. An Application outside Argo CD's namespace is named <namespace>_<name> there, and its
// default release name is its own name.
func TestArgoBuildEnvironment(t *testing.T) {
	repo := newRepo(t)
	commit := repo.commit("app", map[string]string{
		"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":       "a: ''\nb: ''\nc: ''\n",
		"charts/web/values-prod.yaml":  "c: from-values-prod\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata: {{ .Values | toJson }}\n",
		"app/kustomization.yaml":       "resources: [deploy.yaml]\n",
		"app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
			"  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1}]\n",
	})
	head := commit.String()
	render := func(t *testing.T, src ArgoSource) audit.Object {
		t.Helper()
		src.RepoURL, src.TargetRevision = repo.fileURL(), "main"
		f := &Fetcher{Dir: t.TempDir()}
		snap, err := f.FetchApplication(context.Background(), Application{Namespace: "team", Name: "shop", InstanceName: "team_shop",
			Project: "payments", DestinationNamespace: "prod",
			Sources: []ApplicationSource{{ArgoSource: src, Field: "spec.source", Revision: "main"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Objects) != 1 {
			t.Fatalf("rendered %v, want one object", sources(snap.Objects))
		}
		return snap.Objects[0]
	}
	t.Run("helm", func(t *testing.T) {
		o := render(t, ArgoSource{Path: "charts/web", Helm: &ArgoHelm{
			ValueFiles: []string{"values-${ARGOCD_APP_NAMESPACE}.yaml"},
			Values:     "b: $ARGOCD_APP_NAME\n",
			Parameters: []ArgoHelmParameter{
				{Name: "a", Value: "$ARGOCD_APP_NAME/${ARGOCD_APP_PROJECT_NAME}/$ARGOCD_APP_SOURCE_PATH@${ARGOCD_APP_REVISION_SHORT}"},
				{Name: "d", Value: "$$literal$UNKNOWN", ForceString: true},
			},
		}})
		got := map[string]any{"name": o.Name(), "data": o.Content["data"]}
		want := map[string]any{"name": "shop", "data": map[string]any{
			"a": "team_shop/payments/charts/web@" + head[:7], "b": "$ARGOCD_APP_NAME", "c": "from-values-prod", "d": "$literal"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the ConfigMap (-want +got):\n%s", diff)
		}
	})
	for _, tt := range []struct {
		name      string
		envsubst  bool
		wantAnnot string
	}{
		{name: "kustomize", wantAnnot: "${ARGOCD_APP_REVISION}"},
		{name: "kustomize, commonAnnotationsEnvsubst", envsubst: true, wantAnnot: head},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := render(t, ArgoSource{Path: "app", Kustomize: &ArgoKustomize{
				Images:                    []string{"nginx:${ARGOCD_APP_REVISION_SHORT_8}"},
				CommonLabels:              map[string]string{"app.example.com/name": "$ARGOCD_APP_NAME"},
				CommonAnnotations:         map[string]string{"revision": "${ARGOCD_APP_REVISION}"},
				CommonAnnotationsEnvsubst: tt.envsubst,
			}})
			pod := o.Content["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
			got := []any{pod["containers"].([]any)[0].(map[string]any)["image"], o.Labels()["app.example.com/name"], o.Annotations()["revision"]}
			if diff := cmp.Diff([]any{"nginx:" + head[:8], "team_shop", tt.wantAnnot}, got); diff != "" {
				t.Errorf("image, label and annotation (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArgoValueFiles: helm.valueFiles resolve as Argo CD resolves them: relative to the chart,
// from the repository's root when absolute, globs (`**` too) to their matches in lexical order
// less the files listed explicitly (which keep their own place), a file listed twice read at
// its first place; a glob matching nothing, or a missing file, is an error unless
// ignoreMissingValueFiles; a pattern may not leave the repository.
func TestArgoValueFiles(t *testing.T) {
	repo := newRepo(t)
	repo.commit("chart", map[string]string{
		"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":       "v: chart\n",
		"charts/web/env/a.yaml":        "v: a\na: 1\n",
		"charts/web/env/b.yaml":        "v: b\nb: 1\n",
		"charts/web/env/c.yaml":        "v: c\nc: 1\n",
		"charts/web/env/deep/d.yaml":   "v: d\nd: 1\n",
		"shared/common.yaml":           "v: common\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: {{ .Values.v | quote }}\n",
	})
	for _, tt := range []struct {
		name    string
		files   []string
		ignore  bool
		want    string // the value v renders to
		wantErr error
	}{
		{name: "a glob in lexical order", files: []string{"env/*.yaml"}, want: "c"},
		{name: "explicit files keep their place", files: []string{"env/*.yaml", "env/a.yaml"}, want: "a"},
		{name: "a doublestar crosses directories", files: []string{"env/**/*.yaml"}, want: "d"},
		{name: "listed twice: read at its first place", files: []string{"env/b.yaml", "env/a.yaml", "env/b.yaml"}, want: "a"},
		{name: "absolute: from the repository's root", files: []string{"env/c.yaml", "/shared/common.yaml"}, want: "common"},
		{name: "a glob matching nothing", files: []string{"env/*.json"}, wantErr: ErrPathNotFound},
		{name: "a glob matching nothing, ignored", files: []string{"env/a.yaml", "env/*.json"}, ignore: true, want: "a"},
		{name: "missing, ignored", files: []string{"env/b.yaml", "env/none.yaml"}, ignore: true, want: "b"},
		{name: "a glob leaving the repository", files: []string{"../../../*.yaml"}, wantErr: ErrInvalidPath},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := fetchApp(t, repo, ArgoSource{Path: "charts/web", Helm: &ArgoHelm{ValueFiles: tt.files, IgnoreMissingValueFiles: tt.ignore}})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := objs[0].Content["data"].(map[string]any)["v"]; got != tt.want {
				t.Errorf("v = %v, want %s", got, tt.want)
			}
		})
	}
}

// TestArgoHelmCRDs: a chart's crds/ are rendered as Argo CD's `helm template --include-crds`
// renders them, unless helm.skipCrds.
func TestArgoHelmCRDs(t *testing.T) {
	repo := newRepo(t)
	repo.commit("chart", map[string]string{
		"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/crds/widgets.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n" +
			"spec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n" +
			"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
	})
	for _, tt := range []struct {
		name string
		skip bool
		want []string
	}{
		{name: "included", want: []string{"charts/web/crds/widgets.yaml", "charts/web/templates/cm.yaml"}},
		{name: "skipCrds", skip: true, want: []string{"charts/web/templates/cm.yaml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := fetchApp(t, repo, ArgoSource{Path: "charts/web", Helm: &ArgoHelm{SkipCrds: tt.skip}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, sources(objs)); diff != "" {
				t.Errorf("rendered (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSetImage: `kustomize edit set image` as kustomize 5.8 runs it for Argo CD: an argument
// replaces its name's entry whole, "*" keeps one of the entry's fields, and an argument with
// neither tag, digest nor new name is refused.
func TestSetImage(t *testing.T) {
	existing := func() []types.Image {
		return []types.Image{{Name: "nginx", NewName: "mirror/nginx", NewTag: "1"}, {Name: "redis", NewTag: "7"}}
	}
	for _, tt := range []struct {
		arg     string
		want    []types.Image
		wantErr bool
	}{
		{arg: "nginx:2", want: []types.Image{{Name: "nginx", NewTag: "2"}, {Name: "redis", NewTag: "7"}}},
		{arg: "nginx=*:2", want: []types.Image{{Name: "nginx", NewName: "mirror/nginx", NewTag: "2"}, {Name: "redis", NewTag: "7"}}},
		{arg: "nginx=other/nginx:*", want: []types.Image{{Name: "nginx", NewName: "other/nginx", NewTag: "1"}, {Name: "redis", NewTag: "7"}}},
		{arg: "busybox=*:1", want: append(existing(), types.Image{Name: "busybox", NewTag: "1"})},
		{arg: "busybox@sha256:abc", want: append(existing(), types.Image{Name: "busybox", Digest: "sha256:abc"})},
		{arg: "nginx", wantErr: true},
	} {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := setImage(existing(), tt.arg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArgoSourceType: with no options block, Argo CD decides a source's type by the files
// directly in its path, in name order, the last deciding: a kustomization beside a Chart.yaml
// makes it Kustomize.
func TestArgoSourceType(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []string
		src   ArgoSource
		want  string
	}{
		{name: "plain manifests", files: []string{"a.yaml", "sub/Chart.yaml"}, want: argoDirectory},
		{name: "a chart", files: []string{"Chart.yaml", "values.yaml"}, want: argoHelm},
		{name: "a kustomization", files: []string{"Kustomization", "a.yaml"}, want: argoKustomize},
		{name: "both: the kustomization", files: []string{"Chart.yaml", "kustomization.yaml"}, want: argoKustomize},
		{name: "both, options say helm", files: []string{"Chart.yaml", "kustomization.yaml"}, src: ArgoSource{Helm: &ArgoHelm{}}, want: argoHelm},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for _, f := range tt.files {
				files[f] = "x: 1\n"
			}
			writeFiles(t, dir, files)
			if got := (ApplicationSource{ArgoSource: tt.src}).sourceType(dir); got != tt.want {
				t.Errorf("type %s, want %s", got, tt.want)
			}
		})
	}
}

// TestArgoSourceOverrides: the parameter overrides Argo CD reads from a source's path, as Argo CD
// Image Updater writes them back to Git, are merged into the source: .argocd-source.yaml, then
// .argocd-source-<instance>.yaml; the path cannot be overridden, and an option driftgate does
// not render is refused as in the Application itself.
func TestArgoSourceOverrides(t *testing.T) {
	repo := newRepo(t)
	repo.commit("app", map[string]string{
		"app/kustomization.yaml": "resources: [deploy.yaml]\n",
		"app/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" +
			"  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1}]\n",
		"app/.argocd-source.yaml":      "kustomize:\n  images: [nginx:2]\n  namePrefix: all-\npath: elsewhere\n",
		"app/.argocd-source-shop.yaml": "kustomize:\n  images: [nginx:3]\n",
		"bad/kustomization.yaml":       "resources: [deploy.yaml]\n",
		"bad/deploy.yaml":              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"bad/.argocd-source.yaml":      "kustomize:\n  replicas: [{name: web, count: 2}]\n",
	})
	objs, err := fetchApp(t, repo, ArgoSource{Path: "app", Kustomize: &ArgoKustomize{Images: []string{"nginx:1.5"}}})
	if err != nil {
		t.Fatal(err)
	}
	pod := objs[0].Content["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if got := []any{objs[0].Name(), pod["containers"].([]any)[0].(map[string]any)["image"]}; !slices.Equal(got, []any{"all-web", "nginx:3"}) {
		t.Errorf("name and image %v, want all-web and nginx:3 (both override files merged, the instance's last)", got)
	}
	_, err = fetchApp(t, repo, ArgoSource{Path: "bad"})
	errText(t, err, "kustomize.replicas not rendered by driftgate", ErrUnsupportedSource)
}

// TestArgoHelmCapabilities: a chart sees the cluster's Kubernetes version (as Argo CD passes it,
// without pre-release or build) and API versions in .Capabilities; a source's helm.kubeVersion
// and helm.apiVersions replace them.
func TestArgoHelmCapabilities(t *testing.T) {
	repo := newRepo(t)
	repo.commit("chart", map[string]string{
		"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n" +
			"  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n" +
			"  monitoring: {{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1/ServiceMonitor\" | quote }}\n",
	})
	cluster := Capabilities{KubeVersion: "v1.37.1-gke.100+abc", APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}}
	for _, tt := range []struct {
		name string
		caps Capabilities
		helm *ArgoHelm
		want map[string]any
	}{
		{name: "Helm's defaults", helm: &ArgoHelm{}, want: map[string]any{"kube": "v1.20.0", "monitoring": "false"}},
		{name: "the cluster's", caps: cluster, helm: &ArgoHelm{}, want: map[string]any{"kube": "v1.37.1", "monitoring": "true"}},
		{name: "the source's", caps: cluster, helm: &ArgoHelm{KubeVersion: "1.30.2", APIVersions: []string{"v1"}},
			want: map[string]any{"kube": "v1.30.2", "monitoring": "false"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fetcher{Dir: t.TempDir()}
			snap, err := f.FetchApplication(context.Background(), Application{Namespace: "argocd", Name: "shop", DestinationNamespace: "prod",
				Capabilities: tt.caps, Sources: []ApplicationSource{{Field: "spec.source", Revision: "main",
					ArgoSource: ArgoSource{RepoURL: repo.fileURL(), Path: "charts/web", Helm: tt.helm}}}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, snap.Objects[0].Content["data"]); diff != "" {
				t.Errorf("what the chart saw (-want +got):\n%s", diff)
			}
		})
	}
}

// TestArgoSymlinks: a symlink resolving inside the repository is followed, as Argo CD's repo
// server follows it, and one resolving to nothing is left out; a repository with a link leading
// outside, directly or through another link, is refused, as Argo CD refuses it.
func TestArgoSymlinks(t *testing.T) {
	for _, tt := range []struct {
		name    string
		links   map[string]string
		want    []string
		wantErr string
	}{{
		name:  "inside, or to nothing",
		links: map[string]string{"app/shared.yaml": "../shared/cm.yaml", "app/gone.yaml": "../nothing.yaml"},
		want:  []string{"own", "shared"},
	}, {
		name: "outside",
		links: map[string]string{"app/passwd.yaml": "../../../etc/passwd.yaml", "app/abs.yaml": "/etc/hosts",
			// inside by its letters, outside through root, to nothing there: left out, as Argo CD
			// leaves out a link whose destination is missing
			"root": ".", "app/escape.yaml": "../root/../x.yaml"},
		wantErr: "has symlinks leading outside the repository (app/abs.yaml, app/passwd.yaml)",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			repo := newRepo(t)
			writeFiles(t, repo.dir, map[string]string{"shared/cm.yaml": configMap("shared", "1"), "app/own.yaml": configMap("own", "1")})
			names := []string{"shared/cm.yaml", "app/own.yaml"}
			for link, target := range tt.links {
				if err := os.Symlink(target, filepath.Join(repo.dir, filepath.FromSlash(link))); err != nil {
					t.Fatal(err)
				}
				names = append(names, link)
			}
			for _, name := range names {
				if _, err := repo.wt.Add(name); err != nil {
					t.Fatal(err)
				}
			}
			repo.commit("files and links", nil)
			objs, err := fetchApp(t, repo, ArgoSource{Path: "app"})
			if tt.wantErr != "" {
				errText(t, err, tt.wantErr, ErrInvalidPath)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, o := range objs {
				got = append(got, o.Name())
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("objects rendered (-want +got):\n%s", diff)
			}
		})
	}
}
