package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// A generator of realistic Deployments for the drift benchmarks and their test: the manifest as
// written in Git, and the object as the API server returns it after kustomize-controller's
// server-side apply (defaults, canonical quantities, server metadata, status, managedFields), with
// a few objects changed by people's tools.

// driftKind is what a person changed live in one generated Deployment.
type driftKind int

const (
	noDrift  driftKind = iota
	imageSet           // kubectl set image: a new tag, owned by kubectl-set
	scaled             // kubectl scale: replicas through the scale subresource, owned by kubectl-scale
	envAdded           // kubectl edit: an env var added, owned by kubectl-edit
)

// driftOf spreads the drift over the objects: 3 in 40 (7.5%) are drifted.
func driftOf(i int) driftKind {
	switch i % 40 {
	case 7:
		return imageSet
	case 19:
		return scaled
	case 31:
		return envAdded
	}
	return noDrift
}

// deploymentPair is one generated Deployment: Git's copy, the live one, and the fields Diff must
// report for it.
type deploymentPair struct {
	desired, live Object
	want          []Field
}

// deploymentPairs generates n pairs, decoded as Parse (desired) and the live cache (live) give
// them: JSON types only, numbers as float64.
func deploymentPairs(tb testing.TB, n int) []deploymentPair {
	tb.Helper()
	pairs := make([]deploymentPair, n)
	for i := range pairs {
		desired := decoded(tb, gitDeployment(i))
		live, want := liveDeployment(i, desired)
		name, ns := deploymentName(i)
		pairs[i] = deploymentPair{
			desired: Object{Source: fmt.Sprintf("apps/%s/%s.yaml (document 1)", ns, name), Content: desired},
			live:    Object{Source: "cluster deployments.apps " + ns + "/" + name, Content: decoded(tb, live)},
			want:    want,
		}
	}
	return pairs
}

// splitPairs returns the desired and the live objects of pairs.
func splitPairs(pairs []deploymentPair) (desired, live []Object) {
	for _, p := range pairs {
		desired = append(desired, p.desired)
		live = append(live, p.live)
	}
	return desired, live
}

// decoded returns v as encoding/json decodes its JSON.
func decoded(tb testing.TB, v map[string]any) map[string]any {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	return out
}

func deploymentName(i int) (name, namespace string) {
	return fmt.Sprintf("svc-%05d", i), fmt.Sprintf("team-%03d", i%200)
}

// gitDeployment is the i-th Deployment as written in Git (and rendered by kustomize-controller).
func gitDeployment(i int) map[string]any {
	name, ns := deploymentName(i)
	labels := map[string]any{
		"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": ns,
		"kustomize.toolkit.fluxcd.io/name": ns + "-apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
	}
	meta := map[string]any{"name": name, "namespace": ns, "labels": labels}
	if i%3 == 0 {
		meta["annotations"] = map[string]any{"example.com/owner": ns, "example.com/runbook": "https://runbooks.example.com/" + name}
	}
	containers := []any{appContainer(i, name, ns)}
	volumes := []any{map[string]any{"name": "config", "configMap": map[string]any{"name": name + "-config"}}}
	if i%2 == 1 {
		containers = append(containers, proxyContainer(i))
		volumes = append(volumes, map[string]any{"name": "envoy", "configMap": map[string]any{"name": "envoy-" + ns}})
	}
	podLabels := map[string]any{"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": ns}
	return map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
		"spec": map[string]any{
			"replicas": 2 + i%3,
			"selector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": podLabels},
				"spec":     map[string]any{"serviceAccountName": name, "containers": containers, "volumes": volumes},
			},
		},
	}
}

// appContainer is the main container: 3–8 env vars, quantities written in several ways.
func appContainer(i int, name, ns string) map[string]any {
	env := []any{}
	for j := range 3 + i%6 {
		env = append(env, map[string]any{"name": fmt.Sprintf("SETTING_%d", j), "value": fmt.Sprintf("value-%d-%d", i, j)})
	}
	if i%2 == 0 {
		env = append(env[:len(env)-1], map[string]any{"name": "POD_NAMESPACE",
			"valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "metadata.namespace"}}})
	}
	ports := []any{map[string]any{"name": "http", "containerPort": 8080}}
	if i%4 == 0 {
		ports = append(ports, map[string]any{"name": "metrics", "containerPort": 9090})
	}
	return map[string]any{
		"name": "app", "image": fmt.Sprintf("registry.example.com/%s/%s:1.%d.%d", ns, name, i%17, i%5),
		"env": env, "ports": ports,
		"resources": map[string]any{
			"requests": map[string]any{"cpu": []any{"0.5", "250m", "1000m", 1}[i%4], "memory": fmt.Sprintf("%dMi", 128+64*(i%4))},
			"limits":   map[string]any{"memory": []any{"1024Mi", "512Mi", "1Gi"}[i%3]},
		},
		"readinessProbe": map[string]any{"httpGet": map[string]any{"path": "/ready", "port": "http"}, "periodSeconds": 5},
		"livenessProbe":  map[string]any{"httpGet": map[string]any{"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10},
		"volumeMounts":   []any{map[string]any{"name": "config", "mountPath": "/etc/app", "readOnly": true}},
	}
}

// proxyContainer is a sidecar, in every other Deployment.
func proxyContainer(i int) map[string]any {
	return map[string]any{
		"name": "proxy", "image": fmt.Sprintf("envoyproxy/envoy:v1.31.%d", i%4),
		"args":  []any{"--config-path", "/etc/envoy/envoy.yaml", "--log-level", "warn"},
		"ports": []any{map[string]any{"name": "admin", "containerPort": 9901}},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "0.1", "memory": "64Mi"},
			"limits":   map[string]any{"cpu": "500m", "memory": "0.125Gi"},
		},
		"volumeMounts": []any{map[string]any{"name": "envoy", "mountPath": "/etc/envoy"}},
	}
}

// liveDeployment is the i-th Deployment as the API server returns it, built from Git's copy
// (decoded), and the fields Diff must report for it.
func liveDeployment(i int, desired map[string]any) (map[string]any, []Field) {
	live := deepCopy(desired)
	applied := appliedFields(desired)
	addServerDefaults(live)
	addServerMetadata(i, live)
	live["status"] = deploymentStatus(desired)
	entries := []any{
		managedEntry("kustomize-controller", "Apply", "", applied),
		managedEntry("kube-controller-manager", "Update", "", map[string]any{"f:metadata": map[string]any{
			"f:annotations": map[string]any{".": map[string]any{}, "f:deployment.kubernetes.io/revision": map[string]any{}}}}),
		managedEntry("kube-controller-manager", "Update", "status", statusFields()),
	}
	entry, want := addDrift(i, live, applied)
	if entry != nil {
		entries = append(entries, entry)
	}
	mapOf(live["metadata"])["managedFields"] = entries
	return live, want
}

// deepCopy copies decoded JSON.
func deepCopy(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = deepCopyValue(x)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopy(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopyValue(x)
		}
		return out
	}
	return v
}

// addServerDefaults adds what the API server defaults in a Deployment and writes quantities in
// their canonical form (1000m as 1, 0.5 as 500m, 1024Mi as 1Gi).
func addServerDefaults(live map[string]any) {
	spec := mapOf(live["spec"])
	setDefaults(spec, map[string]any{
		"progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
		"strategy": map[string]any{"type": "RollingUpdate",
			"rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": "25%"}},
	})
	tmpl := mapOf(spec["template"])
	mapOf(tmpl["metadata"])["creationTimestamp"] = nil
	pod := mapOf(tmpl["spec"])
	setDefaults(pod, map[string]any{
		"dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
		"securityContext": map[string]any{}, "terminationGracePeriodSeconds": 30, "serviceAccount": pod["serviceAccountName"],
	})
	for _, c := range pod["containers"].([]any) {
		addContainerDefaults(mapOf(c))
	}
	for _, v := range pod["volumes"].([]any) {
		if cm := mapOf(mapOf(v)["configMap"]); cm != nil {
			setDefaults(cm, map[string]any{"defaultMode": 420})
		}
	}
}

func addContainerDefaults(c map[string]any) {
	setDefaults(c, map[string]any{
		"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
		"terminationMessagePolicy": "File",
	})
	for _, p := range c["ports"].([]any) {
		setDefaults(mapOf(p), map[string]any{"protocol": "TCP"})
	}
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if p := mapOf(c[probe]); p != nil {
			setDefaults(p, map[string]any{"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
			setDefaults(mapOf(p["httpGet"]), map[string]any{"scheme": "HTTP"})
		}
	}
	env, _ := c["env"].([]any)
	for _, e := range env {
		if ref := mapOf(mapOf(mapOf(e)["valueFrom"])["fieldRef"]); ref != nil {
			setDefaults(ref, map[string]any{"apiVersion": "v1"})
		}
	}
	res := mapOf(c["resources"])
	for _, list := range []string{"requests", "limits"} {
		q := mapOf(res[list])
		for k, v := range q {
			canonical := resource.MustParse(fieldpath.Scalar(v))
			q[k] = canonical.String()
		}
	}
}

// setDefaults sets each default that m lacks.
func setDefaults(m, defaults map[string]any) {
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
}

func addServerMetadata(i int, live map[string]any) {
	md := mapOf(live["metadata"])
	maps.Copy(md, map[string]any{
		"uid":             fmt.Sprintf("8d5b6e4a-0000-4000-8000-%012d", i),
		"resourceVersion": fmt.Sprint(4000000 + 7*i), "generation": 1 + i%4,
		"creationTimestamp": "2026-03-01T10:00:00Z",
	})
	annotations := mapOf(md["annotations"])
	if annotations == nil {
		annotations = map[string]any{}
		md["annotations"] = annotations
	}
	annotations["deployment.kubernetes.io/revision"] = fmt.Sprint(1 + i%4)
}

func deploymentStatus(desired map[string]any) map[string]any {
	replicas := mapOf(desired["spec"])["replicas"]
	return map[string]any{
		"observedGeneration": 2, "replicas": replicas, "updatedReplicas": replicas, "readyReplicas": replicas,
		"availableReplicas": replicas,
		"conditions": []any{condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
			condition("Progressing", "NewReplicaSetAvailable", "ReplicaSet has successfully progressed.")},
	}
}

func condition(typ, reason, message string) map[string]any {
	return map[string]any{"type": typ, "status": "True", "reason": reason, "message": message,
		"lastUpdateTime": "2026-03-01T10:00:05Z", "lastTransitionTime": "2026-03-01T10:00:05Z"}
}

func managedEntry(manager, operation, subresource string, fields map[string]any) map[string]any {
	e := map[string]any{"manager": manager, "operation": operation, "apiVersion": "apps/v1",
		"time": "2026-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields}
	if subresource != "" {
		e["subresource"] = subresource
	}
	return e
}

func statusFields() map[string]any {
	leaf := map[string]any{}
	cond := map[string]any{".": leaf, "f:lastTransitionTime": leaf, "f:lastUpdateTime": leaf, "f:message": leaf,
		"f:reason": leaf, "f:status": leaf, "f:type": leaf}
	return map[string]any{"f:status": map[string]any{
		"f:availableReplicas": leaf, "f:observedGeneration": leaf, "f:readyReplicas": leaf, "f:replicas": leaf,
		"f:updatedReplicas": leaf,
		"f:conditions":      map[string]any{".": leaf, `k:{"type":"Available"}`: cond, `k:{"type":"Progressing"}`: cond},
	}}
}

// appliedFields is the field set (FieldsV1) a server-side apply of obj owns: every field it sets
// (of the metadata, labels and annotations only), keyed-list items by their keys, atomic values
// (the selector, lists of scalars) whole.
func appliedFields(obj map[string]any) map[string]any {
	md := mapOf(obj["metadata"])
	root := map[string]any{"metadata": map[string]any{"labels": md["labels"]}, "spec": obj["spec"]}
	if a, ok := md["annotations"]; ok {
		mapOf(root["metadata"])["annotations"] = a
	}
	return appliedSet("", root)
}

func appliedSet(key string, v any) map[string]any {
	out := map[string]any{}
	switch t := v.(type) {
	case map[string]any:
		if key == "selector" {
			return out
		}
		for k, x := range t {
			out["f:"+k] = appliedSet(k, x)
		}
	case []any:
		keys := listKeys(key)
		if keys == nil {
			return out
		}
		for _, it := range t {
			item := appliedSet("", it)
			item["."] = map[string]any{}
			out["k:"+itemKey(mapOf(it), keys)] = item
		}
	}
	return out
}

// listKeys are the keys of the keyed lists of a Deployment; nil for an atomic list.
func listKeys(key string) []string {
	switch key {
	case "containers", "env", "volumes":
		return []string{"name"}
	case "ports":
		return []string{"containerPort", "protocol"}
	case "volumeMounts":
		return []string{"mountPath"}
	}
	return nil
}

// itemKey is a keyed-list item's key in a field set, e.g. {"containerPort":8080,"protocol":"TCP"}.
func itemKey(item map[string]any, keys []string) string {
	key := map[string]any{}
	for _, k := range keys {
		key[k] = item[k]
	}
	if _, ok := key["protocol"]; ok && key["protocol"] == nil {
		key["protocol"] = "TCP"
	}
	data, err := json.Marshal(key)
	if err != nil {
		panic(err) // decoded JSON always encodes
	}
	return string(data)
}

// addDrift makes the i-th live Deployment drift as driftOf says: it changes live, moves the
// field's ownership from kustomize-controller's applied set to the person's tool, and returns
// that tool's managedFields entry and the field Diff must report.
func addDrift(i int, live, applied map[string]any) (map[string]any, []Field) {
	spec := mapOf(live["spec"])
	app := mapOf(path(spec, "template", "spec")["containers"].([]any)[0])
	appSet := path(applied, "f:spec", "f:template", "f:spec", "f:containers", `k:{"name":"app"}`)
	switch driftOf(i) {
	case imageSet:
		return setImage(i, app, appSet)
	case scaled:
		return scale(spec, mapOf(applied["f:spec"]))
	case envAdded:
		return addEnv(app)
	}
	return nil, nil
}

const appPath = "spec.template.spec.containers[name=app]"

// setImage is `kubectl set image`: a hotfix tag.
func setImage(i int, app, appSet map[string]any) (map[string]any, []Field) {
	old := app["image"]
	app["image"] = fmt.Sprintf("%s-hotfix.%d", old, i)
	delete(appSet, "f:image")
	entry := managedEntry("kubectl-set", "Update", "", containerFields(map[string]any{"f:image": map[string]any{}}))
	return entry, []Field{{Path: appPath + ".image", Desired: old, Live: app["image"], Category: VersionChange,
		Severity: High, Manager: "kubectl-set"}}
}

// scale is `kubectl scale --replicas=10`, through the scale subresource.
func scale(spec, specSet map[string]any) (map[string]any, []Field) {
	old := spec["replicas"]
	spec["replicas"] = 10.0
	delete(specSet, "f:replicas")
	entry := managedEntry("kubectl-scale", "Update", "scale", map[string]any{"f:spec": map[string]any{"f:replicas": map[string]any{}}})
	return entry, []Field{{Path: "spec.replicas", Desired: old, Live: 10.0, Category: Scaling, Severity: High,
		Manager: "kubectl-scale"}}
}

// addEnv is `kubectl edit` adding an env var.
func addEnv(app map[string]any) (map[string]any, []Field) {
	added := map[string]any{"name": "DEBUG", "value": "true"}
	app["env"] = append(app["env"].([]any), added)
	leaf := map[string]any{}
	entry := managedEntry("kubectl-edit", "Update", "", containerFields(map[string]any{"f:env": map[string]any{
		`k:{"name":"DEBUG"}`: map[string]any{".": leaf, "f:name": leaf, "f:value": leaf}}}))
	return entry, []Field{{Path: appPath + ".env[name=DEBUG]", Live: added, Category: ConfigurationChange,
		Severity: Medium, Manager: "kubectl-edit"}}
}

// containerFields is a field set of the app container.
func containerFields(fields map[string]any) map[string]any {
	return map[string]any{"f:spec": map[string]any{"f:template": map[string]any{"f:spec": map[string]any{
		"f:containers": map[string]any{`k:{"name":"app"}`: fields}}}}}
}

// path descends through nested maps.
func path(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = mapOf(m[k])
	}
	return m
}
