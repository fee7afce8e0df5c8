package backport_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/test/testenv"
)

// gitManifests is what Git holds in ns: web (its replicas ignored), a ConfigMap marked alert, one
// a Flux Kustomization owns (its marker), one applied by a GitOps field manager, and one not
// live yet.
func gitManifests(ns string) map[string]string {
	return map[string]string{
		"web.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ` + ns + `
  annotations:
    driftgate.io/ignore-fields: spec.replicas
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: registry.example.com/web:v1
        env:
        - {name: A, value: "1"}
`,
		"alert.yaml":   configMap(ns, "alerting", "  annotations:\n    driftgate.io/remediation: alert\n"),
		"marked.yaml":  configMap(ns, "marked", "  labels:\n    kustomize.toolkit.fluxcd.io/name: apps\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n"),
		"managed.yaml": configMap(ns, "managed", ""),
		"missing.yaml": configMap(ns, "missing", ""),
	}
}

func configMap(ns, name, meta string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n" + meta + "data:\n  k: git\n"
}

// drift makes the cluster differ from Git: web as a deploy pipeline created it, then a person's
// kubectl edit of it (image, replicas, an added env var), and each ConfigMap but the missing one
// live with another value.
func drift(t *testing.T, ns string, git map[string]string) {
	t.Helper()
	ctx := context.Background()
	admin := cluster.AdminActor(t).Client
	var web appsv1.Deployment
	decode(t, git["web.yaml"], &web)
	// Applied by a deploy pipeline (not a person's tool, not a GitOps controller), then edited by
	// a person.
	if err := admin.Create(ctx, &web, client.FieldOwner("deploy-pipeline")); err != nil {
		t.Fatal(err)
	}
	before := web.DeepCopy()
	web.Spec.Replicas = ptr(int32(5))
	c := &web.Spec.Template.Spec.Containers[0]
	c.Image = "registry.example.com/web:v2"
	c.Env = append(c.Env, corev1.EnvVar{Name: "B", Value: "2"})
	if err := admin.Patch(ctx, &web, client.StrategicMergeFrom(before), client.FieldOwner("kubectl-edit")); err != nil {
		t.Fatal(err)
	}
	for file, who := range map[string]*testenv.Actor{
		"alert.yaml":   cluster.AdminActor(t),
		"marked.yaml":  cluster.ServiceAccount(t, testenv.Flux), // only Flux may set its marker
		"managed.yaml": cluster.AdminActor(t),
	} {
		var cm corev1.ConfigMap
		decode(t, git[file], &cm)
		cm.Data["k"] = "live"
		owner := "kubectl-edit"
		if file == "managed.yaml" {
			owner = "kustomize-controller"
		}
		if err := who.Client.Create(ctx, &cm, client.FieldOwner(owner)); err != nil {
			t.Fatalf("creating %s as %s: %v", cm.Name, who.Name, err)
		}
	}
}

func decode(t *testing.T, doc string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(doc), into); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// remediation is the part of `audit -o json` that --remediate adds.
type remediation struct {
	Remediation struct {
		DryRun  bool `json:"dryRun"`
		Objects []struct {
			Kind, Name, Action string
			Remove             []string
		} `json:"objects"`
	} `json:"remediation"`
}

// liveState is what the test compares before and after: each object's resourceVersion, or
// "absent".
func liveState(t *testing.T, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	admin := cluster.AdminActor(t).Client
	for name, obj := range map[string]client.Object{
		"Deployment/web": &appsv1.Deployment{}, "ConfigMap/alerting": &corev1.ConfigMap{}, "ConfigMap/marked": &corev1.ConfigMap{},
		"ConfigMap/managed": &corev1.ConfigMap{}, "ConfigMap/missing": &corev1.ConfigMap{},
	} {
		_, n, _ := strings.Cut(name, "/")
		err := admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: n}, obj)
		switch {
		case apierrors.IsNotFound(err):
			out[name] = "absent"
		case err != nil:
			t.Fatal(err)
		default:
			out[name] = obj.GetResourceVersion()
		}
	}
	return out
}

// TestRemediate: `driftgate audit --remediate` applies Git's state to what a person changed
// (server-side apply as driftgate, the ignored replicas kept live, the added env var removed) and
// creates what is missing; it never touches an object Git marks alert (remediation-blocked) nor
// one a GitOps controller owns by its marker or its field manager (remediation-refused). Without
// --dry-run=false nothing changes.
func TestRemediate(t *testing.T) {
	wantActions := map[string]string{
		"ConfigMap/alerting": "remediation-blocked", "ConfigMap/managed": "remediation-refused",
		"ConfigMap/marked": "remediation-refused", "ConfigMap/missing": "apply", "Deployment/web": "apply",
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantChanged: the cluster is remediated; else nothing changed.
		wantChanged bool
	}{
		{name: "dry run by default", args: []string{"--remediate"}, wantCode: 0},
		{name: "dry run, drift left", args: []string{"--remediate", "--fail-on-drift"}, wantCode: 1},
		{name: "applied", args: []string{"--remediate", "--dry-run=false"}, wantCode: 0, wantChanged: true},
		{name: "applied, drift left on blocked and refused objects", args: []string{"--remediate", "--dry-run=false", "--fail-on-drift"}, wantCode: 1, wantChanged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := cluster.Namespace(t, nil)
			git := gitManifests(ns)
			dir := t.TempDir()
			for name, content := range git {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			drift(t, ns, git)
			before := liveState(t, ns)
			args := append([]string{"audit", "--source", dir, "--once", "-o", "json"}, tt.args...)
			out, errOut, code := cluster.RunCLI(t, cluster.Kubeconfig(t), args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			var got remediation
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("the JSON output: %v\n%s", err, out)
			}
			actions := map[string]string{}
			for _, o := range got.Remediation.Objects {
				actions[o.Kind+"/"+o.Name] = o.Action
				if o.Name == "web" && !slices.Equal(o.Remove, []string{"spec.template.spec.containers[name=app].env[name=B]"}) {
					t.Errorf("web: remove %v, want the env var the person added", o.Remove)
				}
			}
			if diff := cmp.Diff(wantActions, actions); diff != "" {
				t.Errorf("remediation actions (-want +got):\n%s", diff)
			}
			if got.Remediation.DryRun == tt.wantChanged {
				t.Errorf("dryRun = %v in the output", got.Remediation.DryRun)
			}
			after := liveState(t, ns)
			if !tt.wantChanged {
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a dry run changed the cluster (-before +after):\n%s", diff)
				}
				return
			}
			checkRemediated(t, ns, before, after)
		})
	}
}

// checkRemediated: web and the missing ConfigMap are as Git has them (replicas kept live), the
// blocked and refused ConfigMaps untouched.
func checkRemediated(t *testing.T, ns string, before, after map[string]string) {
	t.Helper()
	ctx := context.Background()
	admin := cluster.AdminActor(t).Client
	var web appsv1.Deployment
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &web); err != nil {
		t.Fatal(err)
	}
	c := web.Spec.Template.Spec.Containers[0]
	type state struct {
		Image    string
		Env      []corev1.EnvVar
		Replicas int32
		Applied  bool
	}
	applied := slices.ContainsFunc(web.ManagedFields, func(m metav1.ManagedFieldsEntry) bool {
		return m.Manager == "driftgate" && m.Operation == metav1.ManagedFieldsOperationApply
	})
	want := state{Image: "registry.example.com/web:v1", Env: []corev1.EnvVar{{Name: "A", Value: "1"}}, Replicas: 5, Applied: true}
	if diff := cmp.Diff(want, state{Image: c.Image, Env: c.Env, Replicas: *web.Spec.Replicas, Applied: applied}); diff != "" {
		t.Errorf("web after remediation (-want +got):\n%s", diff)
	}
	var missing corev1.ConfigMap
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: "missing"}, &missing); err != nil || missing.Data["k"] != "git" {
		t.Errorf("the missing ConfigMap after remediation: %v, data %v", err, missing.Data)
	}
	for _, name := range []string{"ConfigMap/alerting", "ConfigMap/marked", "ConfigMap/managed"} {
		if before[name] != after[name] {
			t.Errorf("%s was written (resourceVersion %s → %s): it must not be touched", name, before[name], after[name])
		}
	}
}
