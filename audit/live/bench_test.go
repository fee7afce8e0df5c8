package live

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
)

// The benchmarks need no API server: they feed Deployments shaped like a real API server's
// (defaults, status, managedFields of two managers: argocd-controller applying the spec,
// kube-controller-manager updating the revision annotation and the status) through the same
// transform into the informer's store type, and measure the heap the store keeps.
//
//	go test -run '^$' -bench . -benchtime 1x ./audit/live/

// deploymentJSON is the i-th test Deployment as the API server sends it.
func deploymentJSON(i int) []byte {
	name := fmt.Sprintf("svc-%05d", i)
	ns := fmt.Sprintf("team-%03d", i%200)
	env := []any{}
	envFields := map[string]any{".": map[string]any{}}
	for j := range 3 + i%6 {
		k := fmt.Sprintf("SETTING_%d", j)
		env = append(env, map[string]any{"name": k, "value": fmt.Sprintf("value-%d-%d", i, j)})
		envFields[fmt.Sprintf(`k:{"name":"%s"}`, k)] = map[string]any{".": map[string]any{}, "f:name": map[string]any{}, "f:value": map[string]any{}}
	}
	labels := map[string]any{"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name + "-prod", "app.kubernetes.io/part-of": ns}
	container := map[string]any{
		"name": "app", "image": fmt.Sprintf("registry.example.com/%s/%s:1.%d.%d", ns, name, i%17, i%5),
		"env":   env,
		"ports": []any{map[string]any{"name": "http", "containerPort": 8080, "protocol": "TCP"}},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": fmt.Sprintf("%dm", 100+i%400), "memory": fmt.Sprintf("%dMi", 128+i%512)},
			"limits":   map[string]any{"memory": fmt.Sprintf("%dMi", 256+i%512)},
		},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/ready", "port": "http", "scheme": "HTTP"},
			"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
		"volumeMounts":             []any{map[string]any{"name": "config", "mountPath": "/etc/app"}},
		"terminationMessagePath":   "/dev/termination-log",
		"terminationMessagePolicy": "File",
		"imagePullPolicy":          "IfNotPresent",
	}
	obj := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{
			"name": name, "namespace": ns, "uid": fmt.Sprintf("8d5b6e4a-0000-4000-8000-%012d", i),
			"resourceVersion": fmt.Sprint(1000000 + i), "generation": 3, "creationTimestamp": "2026-03-01T10:00:00Z",
			"labels": labels,
			"annotations": map[string]any{
				"deployment.kubernetes.io/revision": fmt.Sprint(1 + i%9),
				"argocd.argoproj.io/tracking-id":    fmt.Sprintf("%s:apps/Deployment:%s/%s", ns, ns, name),
			},
			"managedFields": []any{
				managedEntry("argocd-controller", "Apply", "", deploymentFields(envFields)),
				managedEntry("kube-controller-manager", "Update", "", map[string]any{
					"f:metadata": map[string]any{"f:annotations": map[string]any{".": map[string]any{}, "f:deployment.kubernetes.io/revision": map[string]any{}}}}),
				managedEntry("kube-controller-manager", "Update", "status", map[string]any{"f:status": map[string]any{
					"f:availableReplicas": map[string]any{}, "f:conditions": map[string]any{".": map[string]any{},
						`k:{"type":"Available"}`:   conditionFields(),
						`k:{"type":"Progressing"}`: conditionFields()},
					"f:observedGeneration": map[string]any{}, "f:readyReplicas": map[string]any{}, "f:replicas": map[string]any{}, "f:updatedReplicas": map[string]any{}}}),
			},
		},
		"spec": map[string]any{
			"replicas": 2 + i%3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
			"selector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": name}},
			"strategy": map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": labels},
				"spec": map[string]any{
					"containers": []any{container}, "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
					"dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler", "securityContext": map[string]any{},
					"volumes": []any{map[string]any{"name": "config", "configMap": map[string]any{"name": name, "defaultMode": 420}}},
				},
			},
		},
		"status": map[string]any{
			"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2,
			"conditions": []any{condition("Available", "MinimumReplicasAvailable"), condition("Progressing", "NewReplicaSetAvailable")},
		},
	}
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return b
}

func managedEntry(manager, operation, subresource string, fields map[string]any) map[string]any {
	e := map[string]any{"manager": manager, "operation": operation, "apiVersion": "apps/v1",
		"time": "2026-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields}
	if subresource != "" {
		e["subresource"] = subresource
	}
	return e
}

func deploymentFields(envFields map[string]any) map[string]any {
	leaf := map[string]any{}
	return map[string]any{
		"f:metadata": map[string]any{"f:labels": map[string]any{"f:app.kubernetes.io/instance": leaf, "f:app.kubernetes.io/name": leaf, "f:app.kubernetes.io/part-of": leaf},
			"f:annotations": map[string]any{"f:argocd.argoproj.io/tracking-id": leaf}},
		"f:spec": map[string]any{"f:replicas": leaf, "f:selector": leaf, "f:template": map[string]any{
			"f:metadata": map[string]any{"f:labels": map[string]any{"f:app.kubernetes.io/instance": leaf, "f:app.kubernetes.io/name": leaf, "f:app.kubernetes.io/part-of": leaf}},
			"f:spec": map[string]any{
				"f:containers": map[string]any{`k:{"name":"app"}`: map[string]any{".": leaf, "f:env": envFields, "f:image": leaf, "f:name": leaf,
					"f:ports":          map[string]any{`k:{"containerPort":8080,"protocol":"TCP"}`: map[string]any{".": leaf, "f:containerPort": leaf, "f:name": leaf}},
					"f:readinessProbe": map[string]any{"f:httpGet": map[string]any{"f:path": leaf, "f:port": leaf}},
					"f:resources":      map[string]any{"f:limits": map[string]any{"f:memory": leaf}, "f:requests": map[string]any{"f:cpu": leaf, "f:memory": leaf}},
					"f:volumeMounts":   map[string]any{`k:{"mountPath":"/etc/app"}`: map[string]any{".": leaf, "f:mountPath": leaf, "f:name": leaf}}}},
				"f:volumes": map[string]any{`k:{"name":"config"}`: map[string]any{".": leaf, "f:configMap": map[string]any{"f:name": leaf}, "f:name": leaf}}}}},
	}
}

func conditionFields() map[string]any {
	leaf := map[string]any{}
	return map[string]any{".": leaf, "f:lastTransitionTime": leaf, "f:lastUpdateTime": leaf, "f:message": leaf, "f:reason": leaf, "f:status": leaf, "f:type": leaf}
}

func condition(typ, reason string) map[string]any {
	return map[string]any{"type": typ, "status": "True", "reason": reason, "message": "Deployment has minimum availability.",
		"lastUpdateTime": "2026-03-01T10:00:05Z", "lastTransitionTime": "2026-03-01T10:00:05Z"}
}

// deployment decodes the i-th test Deployment the way the dynamic client does.
func deployment(tb testing.TB, i int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(deploymentJSON(i)); err != nil {
		tb.Fatal(err)
	}
	return u
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// fillStore adds n test Deployments to an informer store, each through transform when set.
func fillStore(b *testing.B, n int, xform cache.TransformFunc) cache.Indexer {
	store := cache.NewIndexer(cache.DeletionHandlingMetaNamespaceKeyFunc, cache.Indexers{})
	for i := range n {
		var obj any = deployment(b, i)
		if xform != nil {
			var err error
			if obj, err = xform(obj); err != nil {
				b.Fatal(err)
			}
		}
		if err := store.Add(obj); err != nil {
			b.Fatal(err)
		}
	}
	return store
}

func benchmarkStoreMemory(b *testing.B, sizes []int, xform cache.TransformFunc) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var grown uint64
			for b.Loop() {
				before := heapInUse()
				store := fillStore(b, n, xform)
				grown = heapInUse() - before
				runtime.KeepAlive(store)
			}
			b.ReportMetric(float64(grown)/(1<<20), "MiB")
			b.ReportMetric(float64(grown)/float64(n), "B/object")
		})
	}
}

// BenchmarkCacheMemory is the heap the Cache's store keeps for N live Deployments.
func BenchmarkCacheMemory(b *testing.B) {
	benchmarkStoreMemory(b, []int{1000, 10000, 50000}, transform)
}

// BenchmarkUnstructuredStoreMemory is, for comparison, what an informer without the transform
// keeps: the decoded maps.
func BenchmarkUnstructuredStoreMemory(b *testing.B) {
	benchmarkStoreMemory(b, []int{10000}, nil)
}

// BenchmarkTransform is the cost of the transform per event.
func BenchmarkTransform(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		u := deployment(b, b.N)
		b.StartTimer()
		if _, err := transform(u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList10k is the time of one Cache.List of 10,000 Deployments, each decoded fresh, and
// that time per object.
func BenchmarkList10k(b *testing.B) {
	const n = 10000
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	ki := &kindInformer{
		gk: gk, gr: schema.GroupResource{Group: "apps", Resource: "deployments"}, namespaced: true,
		informer: cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0, nil),
	}
	for i := range n {
		s, err := compact(deployment(b, i))
		if err != nil {
			b.Fatal(err)
		}
		if err := ki.informer.GetIndexer().Add(s); err != nil {
			b.Fatal(err)
		}
	}
	c := NewCache(Options{})
	c.kinds[gk] = ki
	for b.Loop() {
		if got := c.List(gk); len(got) != n {
			b.Fatalf("List returned %d objects, want %d", len(got), n)
		}
	}
	// Nearly all of a List is decoding the compact JSON: the cost the audit pays per live object
	// on every pass, besides the diff.
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/object")
}
