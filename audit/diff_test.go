package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type statusLine struct {
	Kind, Namespace, Name string
	Status                Status
}

func statuses(r *Report) []statusLine {
	var out []statusLine
	for _, o := range r.Objects {
		out = append(out, statusLine{o.Kind, o.Namespace, o.Name, o.Status})
	}
	return out
}

func TestDiffStatuses(t *testing.T) {
	desired := `
apiVersion: v1
kind: ConfigMap
metadata: {name: same}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: changed, namespace: prod}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: new, namespace: prod}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, namespace: ignored-for-cluster-scoped}
---
apiVersion: example.com/v1
kind: Cluster
metadata: {name: c1}
`
	live := `
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: same, namespace: default}, data: {a: "1"}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: changed, namespace: prod, labels: {kustomize.toolkit.fluxcd.io/name: app}}, data: {a: "2"}}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: old, namespace: prod, labels: {kustomize.toolkit.fluxcd.io/name: app}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: unmanaged, namespace: prod}}
- {apiVersion: v1, kind: Namespace, metadata: {name: prod}}
- {apiVersion: example.com/v1, kind: Cluster, metadata: {name: c1}}
`
	want, err := Parse("desired.yaml", []byte(desired))
	if err != nil {
		t.Fatal(err)
	}
	have, err := Parse("live.yaml", []byte(live))
	if err != nil {
		t.Fatal(err)
	}
	r, err := newTestDiffer(t, nil).Diff(want, have)
	if err != nil {
		t.Fatal(err)
	}
	wantStatuses := []statusLine{
		{"Cluster", "", "c1", InSync},
		{"ConfigMap", "default", "same", InSync},
		{"ConfigMap", "prod", "changed", Drifted},
		{"ConfigMap", "prod", "new", Missing},
		{"ConfigMap", "prod", "old", Orphaned},
		{"Namespace", "", "prod", InSync},
	}
	if diff := cmp.Diff(wantStatuses, statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	wantSummary := Summary{Objects: 6, InSync: 3, Drifted: 1, Missing: 1, Orphaned: 1, Fields: 1}
	if diff := cmp.Diff(wantSummary, r.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var text strings.Builder
	if err := WriteText(&text, r, TextStyle{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"ConfigMap prod/changed: drifted", "    git:  \"1\"", "    live: \"2\"",
		"ConfigMap prod/new: missing", "ConfigMap prod/old: orphaned",
		"3 of 6 objects differ from Git: 1 drifted (1 fields), 1 missing, 1 orphaned; 3 in sync"} {
		if !strings.Contains(text.String(), line+"\n") {
			t.Errorf("text report lacks %q:\n%s", line, text.String())
		}
	}
}

func TestDiffNamespaceFlag(t *testing.T) {
	d := newTestDiffer(t, func(o *Options) { o.Namespace = "team" })
	want := []Object{parseOne(t, "d", "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}")}
	have := []Object{parseOne(t, "l", "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: team}}")}
	r, err := d.Diff(want, have)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]statusLine{{"ConfigMap", "team", "c", InSync}}, statuses(r)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestDiffDuplicate(t *testing.T) {
	objs, err := Parse("dup.yaml", []byte("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: default}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newTestDiffer(t, nil).Diff(objs, nil)
	if err == nil || !strings.Contains(err.Error(), "defined twice") || !strings.Contains(err.Error(), "dup.yaml (document 2)") {
		t.Errorf("Diff of a duplicate = %v, want an error naming both documents", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "# comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
	write("sub/c.json", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}]}`)
	write("sub/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [c.json]\n")
	write("README.md", "not a manifest")
	write(".hidden/x.yaml", "not: [valid")
	objs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.Name())
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}

	for name, content := range map[string]string{
		"bad.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n",
		"scalar.yaml":  "just a string\n",
		"noname.yaml":  "apiVersion: v1\nkind: ConfigMap\n",
		"nokind.yaml":  "apiVersion: v1\nmetadata: {name: a}\n",
		"baditem.json": `{"apiVersion":"v1","kind":"List","items":[1]}`,
	} {
		write("bad/"+name, content)
		_, err := Load(filepath.Join(dir, "bad", name))
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Load(%s) = %v, want a one-line error naming the file", name, err)
		}
	}
	if _, err := Load(filepath.Join(dir, "absent")); err == nil {
		t.Error("Load of an absent path succeeded")
	}
}

func TestPaths(t *testing.T) {
	if diff := cmp.Diff([]string{"a.b", "ports[port=53,protocol=UDP]", `x["c,d"]`}, SplitPaths(` a.b, ports[port=53,protocol=UDP],,x["c,d"]`)); diff != "" {
		t.Errorf("SplitPaths (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"a[", `a["x`, "a..b"} {
		if _, err := parsePatterns([]string{bad}); err == nil {
			t.Errorf("parsePatterns(%q) succeeded, want an error", bad)
		}
	}
	if _, err := New(Options{IgnoreFields: []string{"spec["}}); err == nil {
		t.Error("New with a malformed ignore path succeeded")
	}
}
