package fieldpath_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/internal/jsonpair"
)

func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %q: %v", s, err)
	}
	return m
}

func TestKeyNotation(t *testing.T) {
	tests := []struct{ parent, key, want string }{
		{"", "spec", "spec"},
		{"spec", "replicas", "spec.replicas"},
		{"metadata.labels", "app.kubernetes.io/name", `metadata.labels["app.kubernetes.io/name"]`},
		{"data", "LOG_LEVEL", "data.LOG_LEVEL"},
		{"data", "", `data[""]`},
		{"data", `a"b`, `data["a\"b"]`},
	}
	for _, tt := range tests {
		if got := fieldpath.Key(tt.parent, tt.key); got != tt.want {
			t.Errorf("Key(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.want)
		}
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		segs []fieldpath.Segment
		want string
	}{
		{nil, ""},
		{[]fieldpath.Segment{fieldpath.KeySegment("spec"), fieldpath.KeySegment("replicas")}, "spec.replicas"},
		{[]fieldpath.Segment{fieldpath.KeySegment("a.b")}, `["a.b"]`},
		{[]fieldpath.Segment{fieldpath.KeySegment("data"), fieldpath.KeySegment("")}, `data[""]`},
		{[]fieldpath.Segment{
			fieldpath.KeySegment("spec"), fieldpath.KeySegment("ports"),
			fieldpath.ItemSegment([]string{"port", "protocol"}, []any{float64(53), "UDP"}), fieldpath.KeySegment("targetPort"),
		}, "spec.ports[port=53,protocol=UDP].targetPort"},
		{[]fieldpath.Segment{fieldpath.KeySegment("args"), fieldpath.IndexSegment(2)}, "args[2]"},
		{[]fieldpath.Segment{fieldpath.IndexSegment(0), fieldpath.KeySegment("name")}, "[0].name"},
	}
	for _, tt := range tests {
		if got := fieldpath.Path(tt.segs); got != tt.want {
			t.Errorf("Path(%v) = %q, want %q", tt.segs, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	deploy := fieldpath.TypedSchema(clientgoscheme.Scheme, appsv1.SchemeGroupVersion.WithKind("Deployment"))
	svc := fieldpath.TypedSchema(clientgoscheme.Scheme, corev1.SchemeGroupVersion.WithKind("Service"))
	tests := []struct {
		name     string
		old, new string
		schema   fieldpath.Schema
		want     []string
	}{
		{"equal", `{"spec":{"replicas":2}}`, `{"spec":{"replicas":2}}`, deploy, nil},
		{"scalar", `{"spec":{"replicas":2}}`, `{"spec":{"replicas":5}}`, deploy, []string{"spec.replicas"}},
		{"label added to absent map", `{"metadata":{}}`, `{"metadata":{"labels":{"a.b/c":"x"}}}`, deploy,
			[]string{`metadata.labels["a.b/c"]`}},
		{"key removed", `{"data":{"A":"1","B":"2"}}`, `{"data":{"A":"1"}}`, nil, []string{"data.B"}},
		{"image by container name, order ignored",
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"a:1"},{"name":"side","image":"s:1"}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"s:1"},{"name":"app","image":"a:2"}]}}}}`,
			deploy, []string{"spec.template.spec.containers[name=app].image"}},
		{"env added to absent list",
			`{"spec":{"template":{"spec":{"containers":[{"name":"app"}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"X","value":"1"}]}]}}}}`,
			deploy, []string{"spec.template.spec.containers[name=app].env[name=X]"}},
		{"volumeMount keyed by mountPath",
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","volumeMounts":[{"name":"d","mountPath":"/data","readOnly":false}]}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","volumeMounts":[{"name":"d","mountPath":"/data","readOnly":true}]}]}}}}`,
			deploy, []string{"spec.template.spec.containers[name=app].volumeMounts[mountPath=/data].readOnly"}},
		{"container port keyed by containerPort",
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":8080,"name":"http"}]}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":8080,"name":"web"}]}]}}}}`,
			deploy, []string{"spec.template.spec.containers[name=app].ports[containerPort=8080].name"}},
		{"service port duplicate key gets protocol",
			`{"spec":{"ports":[{"port":53,"protocol":"TCP","targetPort":53},{"port":53,"protocol":"UDP","targetPort":53}]}}`,
			`{"spec":{"ports":[{"port":53,"protocol":"TCP","targetPort":53},{"port":53,"protocol":"UDP","targetPort":5353}]}}`,
			svc, []string{"spec.ports[port=53,protocol=UDP].targetPort"}},
		{"second key only on the items that share the merge key",
			`{"spec":{"ports":[{"port":53,"protocol":"TCP"},{"port":53,"protocol":"UDP"},{"port":80,"protocol":"TCP","targetPort":80}]}}`,
			`{"spec":{"ports":[{"port":53,"protocol":"TCP"},{"port":53,"protocol":"UDP"},{"port":80,"protocol":"TCP","targetPort":8080}]}}`,
			svc, []string{"spec.ports[port=80].targetPort"}},
		{"topology spread constraints keyed by topologyKey",
			`{"spec":{"template":{"spec":{"topologySpreadConstraints":[{"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","maxSkew":1}]}}}}`,
			`{"spec":{"template":{"spec":{"topologySpreadConstraints":[{"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule","maxSkew":2}]}}}}`,
			deploy, []string{"spec.template.spec.topologySpreadConstraints[topologyKey=zone].maxSkew"}},
		{"unkeyed list by index",
			`{"rules":[{"verbs":["get"]},{"verbs":["list"]}]}`,
			`{"rules":[{"verbs":["get"]},{"verbs":["list","watch"]}]}`,
			nil, []string{"rules[1].verbs"}},
		{"unknown kind falls back to name",
			`{"spec":{"items":[{"name":"a","v":1}]}}`, `{"spec":{"items":[{"name":"a","v":2}]}}`,
			nil, []string{"spec.items[name=a].v"}},
		{"item removed reported once",
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"X","value":"1"}]}]}}}}`,
			deploy, []string{"spec.template.spec.containers[name=app].env[name=Y]"}},
		{"built-in list without a merge key goes by index",
			`{"spec":{"template":{"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}}}}`,
			`{"spec":{"template":{"spec":{"tolerations":[{"key":"a","operator":"Equal","value":"x"}]}}}}`,
			deploy, []string{"spec.template.spec.tolerations[0].operator", "spec.template.spec.tolerations[0].value"}},
		{"key values that would break the notation are quoted",
			`{"spec":{"items":[{"name":"a]b","v":1}]}}`, `{"spec":{"items":[{"name":"a]b","v":2}]}}`,
			nil, []string{`spec.items[name="a]b"].v`}},
		{"empty equals absent", `{"metadata":{"annotations":{}}}`, `{"metadata":{}}`, deploy, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range fieldpath.Diff(obj(t, tt.old), obj(t, tt.new), tt.schema, nil) {
				got = append(got, c.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changed paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffValues(t *testing.T) {
	got := fieldpath.Diff(obj(t, `{"data":{"A":"1"}}`), obj(t, `{"data":{"A":"2","B":"3"}}`), nil, nil)
	want := []fieldpath.Change{{Path: "data.A", Old: "1", New: "2"}, {Path: "data.B", New: "3"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestDiffSkip(t *testing.T) {
	skip := fieldpath.Skip{"status": nil, "metadata": {"resourceVersion": nil}}
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"a key skipped whole", `{"status":{"a":1}}`, `{"status":{"a":2},"spec":{"x":1}}`, []string{"spec.x"}},
		{"a key skipped below", `{"metadata":{"resourceVersion":"1","name":"a"}}`, `{"metadata":{"resourceVersion":"2","name":"b"}}`, []string{"metadata.name"}},
		{"added or removed skipped keys", `{"metadata":{"resourceVersion":"1"}}`, `{"status":{}}`, nil},
		{"only the named level", `{"spec":{"status":1,"resourceVersion":1}}`, `{"spec":{"status":2,"resourceVersion":2}}`, []string{"spec.resourceVersion", "spec.status"}},
		{"no map to skip in", `{"metadata":"x"}`, `{"metadata":"y"}`, []string{"metadata"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range fieldpath.Diff(obj(t, tt.old), obj(t, tt.new), nil, skip) {
				got = append(got, c.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changed paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffIgnoresItemOrder checks that a keyed list whose items stay in order (compared item by
// item) and the same list reordered (compared through an index of each side) give the same
// changes.
func TestDiffIgnoresItemOrder(t *testing.T) {
	deploy := fieldpath.TypedSchema(clientgoscheme.Scheme, appsv1.SchemeGroupVersion.WithKind("Deployment"))
	containers := func(items string) string { return `{"spec":{"template":{"spec":{"containers":[` + items + `]}}}}` }
	const c = "spec.template.spec.containers"
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"image changed", `{"name":"a","image":"1"},{"name":"b","image":"1"}`, `{"name":"a","image":"2"},{"name":"b","image":"1"}`,
			[]string{c + "[name=a].image"}},
		{"two items changed", `{"name":"a","image":"1"},{"name":"b","args":["x"]}`, `{"name":"a","image":"2"},{"name":"b","args":["y"]}`,
			[]string{c + "[name=a].image", c + "[name=b].args"}},
		{"item added", `{"name":"a","image":"1"}`, `{"name":"a","image":"1"},{"name":"b","image":"1"}`, []string{c + "[name=b]"}},
		{"item replaced", `{"name":"a","image":"1"},{"name":"b"}`, `{"name":"a","image":"1"},{"name":"c"}`,
			[]string{c + "[name=b]", c + "[name=c]"}},
		{"ports keyed by two keys, in order", `{"name":"a","ports":[{"containerPort":53,"protocol":"TCP"},{"containerPort":53,"protocol":"UDP","name":"x"}]},{"name":"b"}`,
			`{"name":"a","ports":[{"containerPort":53,"protocol":"TCP"},{"containerPort":53,"protocol":"UDP","name":"y"}]},{"name":"b"}`,
			[]string{c + "[name=a].ports[containerPort=53,protocol=UDP].name"}},
		{"a number and a string of one value", `{"name":1,"image":"1"},{"name":"b"}`, `{"name":"1","image":"2"},{"name":"b"}`,
			[]string{c + "[name=1].image", c + "[name=1].name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := obj(t, containers(tt.old)), obj(t, containers(tt.new))
			inOrder := fieldpath.Diff(old, new, deploy, nil)
			var paths []string
			for _, ch := range inOrder {
				paths = append(paths, ch.Path)
			}
			if diff := cmp.Diff(tt.want, paths); diff != "" {
				t.Fatalf("changed paths (-want +got):\n%s", diff)
			}
			for _, o := range []map[string]any{old, reversed(t, old)} {
				for _, n := range []map[string]any{new, reversed(t, new)} {
					if diff := cmp.Diff(inOrder, fieldpath.Diff(o, n, deploy, nil)); diff != "" {
						t.Errorf("changes with items reordered (-in order +reordered):\n%s", diff)
					}
				}
			}
		})
	}
}

// reversed returns a copy of a Deployment object with its containers in reverse order.
func reversed(t *testing.T, o map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(o)
	c := obj(t, string(raw))
	pod := c["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	list := pod["containers"].([]any)
	slices.Reverse(list)
	return c
}

func FuzzDiff(f *testing.F) {
	f.Add(`{"spec":{"replicas":1}}`, `{"spec":{"replicas":2}}`)
	f.Add(`{"a":[{"name":"x"},{"name":"x"}]}`, `{"a":[{"name":1},{"port":53}]}`)
	f.Add(`{"a":[1,{"b":2}]}`, `{"a":null}`)
	f.Add(`{"metadata":{"labels":{"a":"1"}},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"a:1","env":[{"name":"X","value":"1"}]}]}}}}`,
		`{"metadata":{"labels":{"a":"1"}},"spec":{"template":{"spec":{"containers":[{"name":"app","image":"a:2","env":[{"name":"X","value":"1"}]}]}}}}`)
	f.Add(`{"spec":{"a":{"b":1},"c":{}}}`, `{"spec":{"a":{"b":1},"d":{}}}`)
	deploy := fieldpath.TypedSchema(clientgoscheme.Scheme, appsv1.SchemeGroupVersion.WithKind("Deployment"))
	f.Fuzz(func(t *testing.T, a, b string) {
		var old, old2, new map[string]any
		if json.Unmarshal([]byte(a), &old) != nil || json.Unmarshal([]byte(b), &new) != nil {
			return
		}
		_ = json.Unmarshal([]byte(a), &old2)
		if got := fieldpath.Diff(old, old2, deploy, nil); len(got) != 0 {
			t.Fatalf("an object differs from a copy of itself: %s: %v", a, got)
		}
		// Versions decoded sharing what they have in common (as the webhook decodes them) differ
		// exactly as separately decoded ones do.
		var dec jsonpair.Decoder
		sharedOld, sharedNew, err := dec.Decode([]byte(a), []byte(b))
		if err != nil || sharedOld == nil || sharedNew == nil {
			return
		}
		aloneOld, _, _ := dec.Decode([]byte(a), nil)
		_, aloneNew, _ := dec.Decode(nil, []byte(b))
		want := fieldpath.Diff(aloneOld, aloneNew, deploy, nil)
		if diff := cmp.Diff(want, fieldpath.Diff(sharedOld, sharedNew, deploy, nil)); diff != "" {
			t.Errorf("shared decoding changes the diff of %s and %s (-separate +shared):\n%s", a, b, diff)
		}
	})
}
