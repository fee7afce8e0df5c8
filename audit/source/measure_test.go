package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/driftgate/driftgate/audit"
)

// The per-source benchmarks measure what the audit loop does for one source on each pass: fetch
// the artifact from source-controller (a loopback server here), render it as the GitOps
// controller does, and diff the rendered objects with the live ones, taken as equal (an in-sync
// source; the live objects' server defaults and managedFields, which the diff also walks, are
// what audit's BenchmarkDiff measures). docs/performance.md, "Sources the controllers declare".
//
//	go test -run '^$' -bench 'Source' -benchmem -count 5 ./audit/source/

// fluxArtifact serves dir (the example app) as source-controller serves a GitRepository's
// artifact: a tar.gz of the repository, the app under checkout/.
func fluxArtifact(b testing.TB, dir string) Artifact {
	b.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: "checkout/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(content)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	sum := sha256.Sum256(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	b.Cleanup(srv.Close)
	return Artifact{URL: srv.URL + "/artifact.tar.gz", Digest: "sha256:" + hex.EncodeToString(sum[:]), Revision: "main@sha1:0123456789abcdef"}
}

// exampleKustomization is the demo's Flux Kustomization of the example app, with a patch,
// targetNamespace and inline postBuild substitution, as test/flux's templated repository uses.
func exampleKustomization(name string) unstructured.Unstructured {
	return unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": name, "namespace": "flux-system"},
		"spec": map[string]any{
			"path": "./checkout", "prune": true, "interval": "1m",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "shop"},
			"patches": []any{map[string]any{
				"target": map[string]any{"kind": "Deployment", "name": "checkout"},
				"patch":  "- op: replace\n  path: /spec/replicas\n  value: 3\n",
			}},
			"postBuild": map[string]any{"substitute": map[string]any{"cluster": "dev"}},
		},
	}}
}

// helm40 is BenchmarkFetchHelm40's chart: 20 Deployments, 20 ConfigMaps and a ClusterRole.
func helm40(name string, art Artifact) HelmRelease {
	return HelmRelease{Namespace: "flux-system", Name: name, ReleaseName: name, ReleaseNamespace: "shop", Chart: art,
		Values: map[string]any{"replicaCount": float64(2)}, Namespaced: func(_, kind string) bool { return kind != "ClusterRole" }}
}

func helm40Chart(b *testing.B) Artifact {
	extra := "---\n{{- range $i := until 19 }}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{{ $i }}\nspec:\n  replicas: {{ $.Values.replicaCount }}\n" +
		"  template:\n    spec:\n      containers:\n      - name: web\n        image: \"{{ $.Values.image.repository }}:{{ $.Values.image.tag }}\"\n---\n" +
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-{{ $i }}\ndata:\n  GREETING: {{ $.Values.greeting | quote }}\n---\n{{- end }}\n"
	return testChart(b, extra)
}

// auditInSync diffs objs against a copy of themselves, as a pass over an in-sync source does.
func auditInSync(b *testing.B, d *audit.Differ, objs []audit.Object) {
	live := make([]audit.Object, len(objs))
	for i, o := range objs {
		live[i] = audit.Object{Content: k8sruntime.DeepCopyJSON(o.Content)}
	}
	r, err := d.Diff(objs, live)
	if err != nil {
		b.Fatal(err)
	}
	if r.Summary.InSync != len(objs) {
		b.Fatalf("%d of %d objects in sync, want all", r.Summary.InSync, len(objs))
	}
}

func newDiffer(b *testing.B) *audit.Differ {
	d, err := audit.New(audit.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkSourceKustomization fetches, renders and audits the example app's Flux Kustomization
// (5 objects) per iteration.
func BenchmarkSourceKustomization(b *testing.B) {
	fl := Flux{Kustomization: exampleKustomization("shop"), Artifact: fluxArtifact(b, "../../examples/checkout")}
	f, d := &Fetcher{Dir: b.TempDir()}, newDiffer(b)
	for b.Loop() {
		snap, err := f.FetchFlux(context.Background(), fl)
		if err != nil {
			b.Fatal(err)
		}
		auditInSync(b, d, snap.Objects)
	}
}

// BenchmarkSourceHelm40 fetches, renders and audits a HelmRelease of a 41-object chart per
// iteration.
func BenchmarkSourceHelm40(b *testing.B) {
	h := helm40("web", helm40Chart(b))
	f, d := &Fetcher{Dir: b.TempDir()}, newDiffer(b)
	for b.Loop() {
		snap, err := f.FetchHelm(context.Background(), h)
		if err != nil {
			b.Fatal(err)
		}
		auditInSync(b, d, snap.Objects)
	}
}

// BenchmarkSources100 fetches, renders and audits 100 sources of 41 objects one after the other,
// as one pass of the loop over them does, and reports the heap their rendered objects keep
// between passes (kept-B/source: the live heap after a collection, with and without them).
func BenchmarkSources100(b *testing.B) {
	const n = 100
	art := helm40Chart(b)
	f, d := &Fetcher{Dir: b.TempDir()}, newDiffer(b)
	var kept float64
	for b.Loop() {
		before := liveHeap()
		desired := make([][]audit.Object, n)
		for i := range desired {
			snap, err := f.FetchHelm(context.Background(), helm40(fmt.Sprintf("web%d", i), art))
			if err != nil {
				b.Fatal(err)
			}
			auditInSync(b, d, snap.Objects)
			desired[i] = snap.Objects
		}
		b.StopTimer()
		kept = float64(liveHeap()-before) / n
		runtime.KeepAlive(desired)
		b.StartTimer()
	}
	b.ReportMetric(kept, "kept-B/source")
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
