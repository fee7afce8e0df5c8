package backport

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// change is one value to write back: the path of the object as Git renders it, the live value
// (JSON), or its removal.
type change struct {
	path   string
	value  string
	remove bool
}

func TestGoldenEdits(t *testing.T) {
	tests := []struct {
		name    string
		repo    string // below testdata/golden
		render  string // the source's path in the repository
		kind    string
		object  string // namespace/name as rendered
		changes []change
		// unplaceable: the error each change gives, in order ("" when it is placed)
		unplaceable []string
	}{
		{
			name: "plain-image-replicas-quantity", repo: "plain", render: ".", kind: "Deployment", object: "shop/checkout",
			changes: []change{
				{path: "spec.template.spec.containers[name=app].image", value: `"registry.example.com/checkout:v1.2.4"`},
				{path: "spec.replicas", value: `4`},
				{path: "spec.template.spec.containers[name=app].resources.limits.memory", value: `"1Gi"`},
				{path: "spec.template.spec.containers[name=app].resources.limits.cpu", value: `"1500m"`},
			},
		},
		{
			name: "plain-list-item-by-key", repo: "plain", render: ".", kind: "Deployment", object: "shop/checkout",
			changes: []change{
				{path: "spec.template.spec.containers[name=proxy].image", value: `"envoyproxy/envoy:v1.30.2"`},
				{path: "spec.template.spec.containers[name=app].env[name=POOL_SIZE].value", value: `"20"`},
			},
		},
		{
			name: "plain-added-env-var", repo: "plain", render: ".", kind: "Deployment", object: "shop/checkout",
			changes: []change{
				{path: "spec.template.spec.containers[name=app].env[name=LOG_LEVEL]", value: `{"value":"debug","name":"LOG_LEVEL"}`},
				{path: "spec.template.spec.containers[name=proxy].env[name=TRACE]", value: `{"name":"TRACE","value":"1"}`},
				{path: `metadata.labels["incident"]`, value: `"inc-7"`},
				{path: `metadata.annotations["example.com/hotfix"]`, value: `"1"`},
				{path: "spec.template.spec.containers[name=app].resources.limits.ephemeral-storage", value: `"2Gi"`},
			},
		},
		{
			name: "plain-removed", repo: "plain", render: ".", kind: "Deployment", object: "shop/checkout",
			changes: []change{
				{path: "spec.template.spec.containers[name=app].env[name=DB_HOST]", remove: true},
				{path: "spec.template.spec.containers[name=app].resources.requests", remove: true},
			},
		},
		{
			name: "plain-configmap-quoted", repo: "plain", render: ".", kind: "ConfigMap", object: "shop/checkout-config",
			changes: []change{
				{path: "data.LOG_LEVEL", value: `"debug"`},
				{path: "data.FEATURE_X", value: `"on"`},
				{path: "data.NEW", value: `"true"`},
			},
		},
		{
			name: "kustomize-patch-vs-base", repo: "kustomize", render: "overlays/prod", kind: "Deployment", object: "prod/prod-web",
			changes: []change{
				{path: "spec.template.spec.containers[name=web].image", value: `"nginx:1.27.1"`},                         // base only
				{path: "spec.template.spec.containers[name=web].resources.limits.memory", value: `"512Mi"`},              // the patch file wins
				{path: "spec.replicas", value: `5`},                                                                      // the inline patch wins
				{path: "spec.template.spec.containers[name=web].env[name=MODE].value", value: `"incident"`},              // base only
				{path: "spec.template.spec.containers[name=web].resources.limits.cpu", value: `"1"`},                     // added: the patch has limits
				{path: "spec.template.spec.containers[name=web].env[name=EXTRA]", value: `{"name":"EXTRA","value":"x"}`}, // added: base has env
			},
		},
		{
			name: "kustomize-transformers", repo: "transformers", render: "overlay", kind: "Deployment", object: "default/web",
			changes: []change{
				{path: "spec.template.spec.containers[name=web].image", value: `"nginx:1.29.0"`},
				{path: "spec.template.spec.containers[name=web].env[name=MODE].value", value: `"x"`},
				{path: "spec.minReadySeconds", value: `10`},
			},
			unplaceable: []string{
				"no file sets spec.template.spec.containers[name=web].image: it comes from a kustomize transformer",
				"a JSON 6902 patch in an inline patch in overlay/kustomization.yaml may set",
				"",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join("testdata", "golden", tt.repo)
			objs, err := source.Render(filepath.Join(root, tt.render))
			if err != nil {
				t.Fatal(err)
			}
			obj := find(t, objs, tt.kind, tt.object)
			obj.Source = filepath.ToSlash(filepath.Join(tt.render, obj.Source))
			loc := Files{FS: os.DirFS(root), Path: tt.render}
			changes := Changes{}
			gotErrs := make([]string, len(tt.changes))
			for i, c := range tt.changes {
				gotErrs[i] = locate(t, loc, root, changes, obj, c)
			}
			checkUnplaceable(t, tt.unplaceable, gotErrs, tt.changes)
			if tt.unplaceable == nil {
				if diff := cmp.Diff(make([]string, len(tt.changes)), gotErrs); diff != "" {
					t.Errorf("unplaceable changes (-want +got):\n%s", diff)
				}
			}
			testutil.Golden(t, filepath.Join("testdata", "golden", tt.name+".golden"), show(changes), *update, "./backport")
			// What was written renders to the live values.
			checkRendered(t, root, tt.render, changes, tt.kind, tt.object, tt.changes, gotErrs)
		})
	}
}

func find(t *testing.T, objs []audit.Object, kind, nsName string) audit.Object {
	t.Helper()
	for _, o := range objs {
		if o.Kind() == kind && o.Namespace()+"/"+o.Name() == nsName || o.Kind() == kind && o.Namespace() == "" && "default/"+o.Name() == nsName {
			return o
		}
	}
	t.Fatalf("%s %s not rendered", kind, nsName)
	return audit.Object{}
}

// show writes the changed files one after the other, by name.
func show(c Changes) string {
	files := make([]string, 0, len(c))
	for f := range c {
		files = append(files, f)
	}
	slices.Sort(files)
	var b strings.Builder
	for _, f := range files {
		b.WriteString("=== " + f + "\n")
		b.Write(c[f])
	}
	return b.String()
}

// checkRendered renders the changed repository and checks that every placed change holds.
func checkRendered(t *testing.T, root, render string, c Changes, kind, nsName string, changes []change, errs []string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(root)); err != nil {
		t.Fatal(err)
	}
	for f, b := range c {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	objs, err := source.Render(filepath.Join(dir, render))
	if err != nil {
		t.Fatalf("rendering the changed files: %v", err)
	}
	obj := find(t, objs, kind, nsName)
	for i, ch := range changes {
		if errs[i] != "" {
			continue
		}
		segs, _ := fieldpath.Parse(ch.path)
		got, ok := fieldpath.Lookup(any(obj.Content), segs)
		if ch.remove {
			if ok {
				t.Errorf("%s: still rendered as %v", ch.path, got)
			}
			continue
		}
		var want any
		_ = json.Unmarshal([]byte(ch.value), &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s renders (-want +got):\n%s", ch.path, diff)
		}
	}
}

// locate writes one change of obj into changes through loc, as Run does: "" when it is placed,
// the error when it cannot be (ErrUnplaceable); any other error fails the test.
func locate(t *testing.T, loc Locator, root string, changes Changes, obj audit.Object, c change) string {
	t.Helper()
	segs, err := fieldpath.Parse(c.path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if !c.remove {
		if err := json.Unmarshal([]byte(c.value), &v); err != nil {
			t.Fatal(err)
		}
	}
	writes, err := loc.Locate(obj, segs, v, c.remove)
	if err == nil {
		err = Apply(os.DirFS(root), changes, writes)
	}
	switch {
	case errors.Is(err, ErrUnplaceable):
		return err.Error()
	case err != nil:
		t.Fatalf("%s: %v", c.path, err)
	}
	return ""
}

// checkUnplaceable checks the error of each change against the text it should contain ("":
// placed).
func checkUnplaceable[C interface{ changePath() string }](t *testing.T, want, got []string, changes []C) {
	t.Helper()
	for i, w := range want {
		if w == "" && got[i] != "" || !strings.Contains(got[i], w) {
			t.Errorf("change %d (%s): error %q, want it to contain %q", i, changes[i].changePath(), got[i], w)
		}
	}
}

func (c change) changePath() string { return c.path }
