package argocd_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/gitopstest"
	"github.com/driftgate/driftgate/test/testenv"
)

// kustomizeApp is an app for a kustomize source: the manifests name no namespace (the
// Application's destination gives it) and the image is v0 (the Application's images set v1).
func kustomizeApp(image string) map[string]string {
	return map[string]string{
		"app/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n- configmap.yaml\n",
		"app/configmap.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG_LEVEL: info\n",
		"app/deployment.yaml":    gitopstest.WebDeployment("", 1, image),
		// Not in the Application's path: never rendered.
		"other/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
	}
}

// helmChart is a chart in Git, charts/web: its defaults (image v0, one replica, greeting hello),
// a values file for production (image tag) and the templates of the Deployment web and its
// ConfigMap.
func helmChart(tag string) map[string]string {
	return map[string]string{
		"charts/web/Chart.yaml":       "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"charts/web/values.yaml":      "image: {repository: registry.example.com/web, tag: v0}\nreplicas: 1\ngreeting: hello\n",
		"charts/web/values-prod.yaml": "image: {tag: " + tag + "}\n",
		"charts/web/templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  labels: {app.kubernetes.io/managed-by: {{ .Release.Service }}}
data:
  GREETING: {{ .Values.greeting | quote }}
`,
		"charts/web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
		// A hook Argo CD runs and does not track; not rendered.
		"charts/web/templates/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test\n  annotations: {\"helm.sh/hook\": test}\nspec:\n  containers: [{name: t, image: busybox}]\n",
	}
}

// deploy pushes files to a new repository named ns, creates namespace ns and the Application
// ns (src with the repository's URL and main; extra into its spec), and returns the work tree,
// the URL and the name of the GitSource driftgate keeps for the Application.
func deploy(t *testing.T, ns string, files map[string]string, src, extra map[string]any) (work, url, source string) {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	work = t.TempDir()
	testutil.WriteFiles(t, work, files)
	url = suite.Git.Push(t, ns, work)
	src["repoURL"], src["targetRevision"] = url, "main"
	createApp(t, argoApp(ns, ns, src, extra))
	return work, url, loop.DiscoveredName(v1alpha1.SourceKindApplication, argoNamespace, ns)
}

// withCRD adds a CustomResourceDefinition to the chart's crds/, which Argo CD renders and
// applies, and a ConfigMap the chart renders only where the cluster serves driftgate's
// GitSources, with the Kubernetes version Argo CD gives the chart.
func withCRD(files map[string]string) map[string]string {
	files["charts/web/templates/capabilities.yaml"] = `{{- if .Capabilities.APIVersions.Has "driftgate.io/v1alpha1/GitSource" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-capabilities
data:
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
{{- end }}
`
	files["charts/web/crds/widgets.yaml"] = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.argo-helm.example.com
spec:
  group: argo-helm.example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`
	return files
}

// TestApplicationIsAuditedWithoutGitSource: driftgate audits what an Argo CD Application syncs,
// with no GitSource declared: a kustomize source with the Application's images, name prefix and
// common labels, and a helm source (a chart in the repository) with a values file, values,
// a parameter, a release name, a CRD in the chart's crds/ and a template that reads the cluster's
// .Capabilities. After Argo CD syncs, the GitSource driftgate keeps for the
// Application finds every object in sync at Argo CD's revision.
func TestApplicationIsAuditedWithoutGitSource(t *testing.T) {
	suite.Need(t)
	for _, tt := range []struct {
		name  string
		files map[string]string
		src   map[string]any
		// deployment is the Deployment's name; want its image and replicas as Argo CD applied them.
		deployment, image string
		replicas          int32
		objects           int
	}{{
		name: "argo-kustomize", files: kustomizeApp("registry.example.com/web:v0"),
		src: map[string]any{"path": "app", "kustomize": map[string]any{
			"namePrefix":   "shop-",
			"images":       []any{"registry.example.com/web=registry.example.com/web:v1"},
			"commonLabels": map[string]any{"team": "shop"},
		}},
		deployment: "shop-web", image: "registry.example.com/web:v1", replicas: 1, objects: 2,
	}, {
		name: "argo-helm", files: withCRD(helmChart("v1")),
		src: map[string]any{"path": "charts/web", "helm": map[string]any{
			"valueFiles":  []any{"values-prod.yaml"},
			"values":      "greeting: hi\n",
			"parameters":  []any{map[string]any{"name": "replicas", "value": "2"}},
			"releaseName": "web",
		}},
		deployment: "web", image: "registry.example.com/web:v1", replicas: 2, objects: 4,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			work, _, source := deploy(t, tt.name, tt.files, tt.src, nil)
			waitSynced(t, tt.name, testutil.Git(t, work, "rev-parse", "HEAD"))
			d := &appsv1.Deployment{}
			if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: tt.name, Name: tt.deployment}, d); err != nil {
				t.Fatal(err)
			}
			if got := []any{d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas}; !slices.Equal(got, []any{tt.image, tt.replicas}) {
				t.Fatalf("Argo CD applied image and replicas %v, want %v: not what the Application makes", got, []any{tt.image, tt.replicas})
			}
			s := suite.WaitAudit(t, source, "the discovered source's audit of what Argo CD applied", func(s v1alpha1.GitSourceStatus) bool {
				c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
				return s.Counts.Objects == tt.objects && c != nil && c.Status == metav1.ConditionTrue
			})
			want := v1alpha1.AuditCounts{Objects: tt.objects, InSync: tt.objects}
			if diff := cmp.Diff(want, s.Counts); diff != "" {
				t.Errorf("right after Argo CD synced, the audit's counts (-want +got):\n%s\n%s", diff, gitopstest.Drifted(s))
			}
			commit := testutil.Git(t, work, "rev-parse", "HEAD")
			if s.SourceKind != v1alpha1.SourceKindApplication || len(s.Revision) < 12 || !strings.HasPrefix(commit, s.Revision) ||
				s.Sync == nil || s.Sync.AppliedRevision != commit {
				t.Errorf("source kind %s, revision %s, sync %+v; want Application at Argo CD's revision %s", s.SourceKind, s.Revision, s.Sync, commit)
			}
		})
	}
}

// TestApplicationIgnoreDifferences: what an Application's ignoreDifferences tells Argo CD to
// ignore (a JSON pointer, a jq path expression, what a field manager owns) is no drift when a
// person changes it live under a grant, where the same change without the entry is (the control
// case).
func TestApplicationIgnoreDifferences(t *testing.T) {
	suite.Need(t)
	for _, tt := range []struct {
		name   string
		ignore map[string]any
		// change is alice's edit of the Deployment.
		change func(d *appsv1.Deployment)
		want   []string // drifted paths of the Deployment
	}{{
		name:   "argo-ignore-pointer",
		ignore: map[string]any{"group": "apps", "kind": "Deployment", "jsonPointers": []any{"/spec/replicas"}},
		change: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr(int32(3)) },
	}, {
		name:   "argo-ignore-jq",
		ignore: map[string]any{"group": "apps", "kind": "Deployment", "jqPathExpressions": []any{`.spec.template.spec.containers[] | select(.name == "web") | .image`}},
		change: func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = gitopstest.HotfixImage },
	}, {
		// What a field manager owns: alice's tool here (an HPA's controller in real life).
		name:   "argo-ignore-managers",
		ignore: map[string]any{"group": "apps", "kind": "Deployment", "managedFieldsManagers": []any{"kubectl-edit"}},
		change: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr(int32(3)) },
	}, {
		name:   "argo-ignore-other-kind",
		ignore: map[string]any{"kind": "ConfigMap", "jsonPointers": []any{"/spec/replicas"}},
		change: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr(int32(3)) },
		want:   []string{"spec.replicas"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			ns := tt.name
			work, _, source := deploy(t, ns, map[string]string{"deployment.yaml": gitopstest.WebDeployment("", 1, "registry.example.com/web:v1")},
				map[string]any{"path": "."}, map[string]any{"ignoreDifferences": []any{tt.ignore}})
			waitSynced(t, ns, testutil.Git(t, work, "rev-parse", "HEAD"))
			suite.WaitAudit(t, source, "the first audit", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.InSync == 1 })

			edit(t, ns, "INC-"+ns, tt.change)
			changed := time.Now()
			s := suite.WaitAudit(t, source, "an audit after alice's change", func(s v1alpha1.GitSourceStatus) bool {
				return s.LastAuditTime.After(changed.Add(time.Second))
			})
			if diff := cmp.Diff(tt.want, gitopstest.DriftedPaths(s)["Deployment "+ns+"/web"]); diff != "" {
				t.Errorf("drifted paths of the Deployment (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBreakGlassEditBackportedThroughApplication: alice's hotfix under a grant, of a Deployment an
// Application syncs, is drift at its path on the Application's discovered source, which decides
// her edit; once Git holds her image, the edit is Backported at that commit (Argo CD is paused
// for the edit meanwhile, so the source reads Git's head).
func TestBreakGlassEditBackportedThroughApplication(t *testing.T) {
	suite.Need(t)
	const ns = "argo-backport"
	work, url, source := deploy(t, ns, kustomizeApp("registry.example.com/web:v1"), map[string]any{"path": "app"}, nil)
	waitSynced(t, ns, testutil.Git(t, work, "rev-parse", "HEAD"))
	suite.WaitAudit(t, source, "the first audit", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.InSync == 2 })

	g := suite.Hotfix(t, ns, "INC-20-argo")
	const image = "spec.template.spec.containers[name=web].image"
	s := suite.WaitAudit(t, source, "alice's fix reported as drift", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.Drifted == 1 })
	if diff := cmp.Diff([]string{image}, gitopstest.DriftedPaths(s)["Deployment "+ns+"/web"]); diff != "" {
		t.Errorf("drifted paths of the Deployment (-want +got):\n%s", diff)
	}
	testutil.WaitFor(t, "alice's edit Required, decided by the Application's source", func() bool {
		e := onlyEdit(t, g.Name)
		return e.Status.Backport == v1alpha1.BackportRequired && e.Status.GitSource == source
	})

	testutil.WriteFiles(t, work, kustomizeApp(gitopstest.HotfixImage))
	testutil.CommitPush(t, work, url, "INC-20-argo: the hotfix image")
	commit := testutil.Git(t, work, "rev-parse", "HEAD")
	testutil.WaitFor(t, "alice's edit Backported", func() bool {
		e := onlyEdit(t, g.Name)
		return e.Status.Backport == v1alpha1.Backported && len(e.Status.Revision) >= 12 && strings.HasPrefix(commit, e.Status.Revision)
	})
	suite.WaitAudit(t, source, "the source in sync at the backport", func(s v1alpha1.GitSourceStatus) bool {
		return s.Counts.InSync == 2 && strings.HasPrefix(commit, s.Revision)
	})
}

// TestPluginSourceIsNotVouched: an Application whose source is a config management plugin,
// which driftgate cannot render: its source says so, is stale, and vouches nothing in sync.
func TestPluginSourceIsNotVouched(t *testing.T) {
	suite.Need(t)
	const ns = "argo-plugin"
	_, _, source := deploy(t, ns, map[string]string{"deployment.yaml": gitopstest.WebDeployment("", 1, "registry.example.com/web:v1")},
		map[string]any{"path": ".", "plugin": map[string]any{"name": "envsubst"}}, nil)
	var gs v1alpha1.GitSource
	testutil.WaitFor(t, "the plugin source reported", func() bool {
		if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: source}, &gs); err != nil {
			return false
		}
		c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable)
		return c != nil && c.Status == metav1.ConditionFalse
	})
	avail := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable)
	ready := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
	const want = "Application argocd/argo-plugin: spec.source: a config management plugin source is not rendered by driftgate"
	if avail.Message != want || ready == nil || ready.Reason != loop.ReasonStale || !gs.Status.Stale || gs.Status.Counts.InSync != 0 {
		t.Errorf("SourceAvailable %q, Ready %+v, stale %t, counts %+v; want %q, Stale, nothing in sync",
			avail.Message, ready, gs.Status.Stale, gs.Status.Counts, want)
	}
}

// edit has alice change the Deployment web in ns under a grant for ticket (bob approves).
func edit(t *testing.T, ns, ticket string, change func(*appsv1.Deployment)) {
	t.Helper()
	g := suite.Cluster.ApprovedGrant(t, suite.Cluster.Person(t, "alice"), suite.Cluster.Person(t, "bob", "driftgate-approvers"), breakglass.Request{
		Namespaces: []string{ns}, Resources: []string{"deployments.apps"}, Duration: time.Hour, Ticket: ticket, Reason: "load"}, "")
	suite.Cluster.WaitCached(t, g.Name, "Active", testenv.Active)
	alice := suite.Cluster.Person(t, "alice").Client
	testutil.WaitFor(t, "alice's change under her grant", func() bool {
		d := &appsv1.Deployment{}
		if err := alice.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, d); err != nil {
			return false
		}
		before := d.DeepCopy()
		change(d)
		return alice.Patch(context.Background(), d, client.StrategicMergeFrom(before), client.FieldOwner("kubectl-edit")) == nil
	})
}

func ptr[T any](v T) *T { return &v }

// TestApplicationSyncFailingIsPending: Git adds a key to a ConfigMap and an object of a kind the
// cluster does not serve, so Argo CD's sync of that revision fails. driftgate reports the
// Application's source as sync failing with Argo CD's message, and what Git changed as pending:
// no person is blamed.
func TestApplicationSyncFailingIsPending(t *testing.T) {
	suite.Need(t)
	const ns = "argo-failing"
	files := kustomizeApp("registry.example.com/web:v1")
	work, url, source := deploy(t, ns, files, map[string]any{"path": "app"}, nil)
	waitSynced(t, ns, testutil.Git(t, work, "rev-parse", "HEAD"))
	suite.WaitAudit(t, source, "the first audit", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.InSync == 2 })

	files["app/configmap.yaml"] += "  COLOR: blue\n"
	files["app/widget.yaml"] = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: nowhere\n"
	files["app/kustomization.yaml"] += "- widget.yaml\n"
	testutil.WriteFiles(t, work, files)
	testutil.CommitPush(t, work, url, "a colour and a Widget the cluster does not serve")
	refresh(t, ns)
	s := suite.WaitAudit(t, source, "the sync reported failing", func(s v1alpha1.GitSourceStatus) bool {
		c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
		return c != nil && c.Reason == loop.ReasonSyncFailing && s.Counts.Pending == 2
	})
	want := v1alpha1.AuditCounts{Objects: 3, InSync: 1, Pending: 2}
	if diff := cmp.Diff(want, s.Counts); diff != "" {
		t.Errorf("counts of a failing sync (-want +got):\n%s\n%s", diff, gitopstest.Drifted(s))
	}
	if s.Sync == nil || !s.Sync.Failing || s.Sync.Message == "" || s.Sync.AppliedRevision == s.Sync.AttemptedRevision {
		t.Errorf("status.sync = %+v, want failing with Argo CD's message, the revision tried and the one applied", s.Sync)
	}
	for _, o := range s.DriftedObjects {
		if o.Status != "pending" {
			t.Errorf("%s %s/%s is %s, want pending", o.Kind, o.Namespace, o.Name, o.Status)
		}
	}
}

// TestMultiSourceApplicationWithBuildEnvironment: an Application of two sources, a chart in one
// repository and its production values in another (`$values/…`), with Argo CD's build
// environment in a value file's path and in a parameter, is audited in sync at both sources'
// revisions once Argo CD syncs it: driftgate renders the values Argo CD substituted.
func TestMultiSourceApplicationWithBuildEnvironment(t *testing.T) {
	suite.Need(t)
	const ns = "argo-multi"
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	chart := helmChart("v0")
	chart["charts/web/values-"+ns+".yaml"] = "replicas: 3\n"
	chartWork, valuesWork := t.TempDir(), t.TempDir()
	testutil.WriteFiles(t, chartWork, chart)
	testutil.WriteFiles(t, valuesWork, map[string]string{"envs/prod.yaml": "image: {tag: v2}\n"})
	chartURL, valuesURL := suite.Git.Push(t, ns, chartWork), suite.Git.Push(t, ns+"-values", valuesWork)
	app := argoApp(ns, ns, nil, map[string]any{"sources": []any{
		map[string]any{"repoURL": chartURL, "targetRevision": "main", "path": "charts/web", "helm": map[string]any{
			"valueFiles": []any{"$values/envs/prod.yaml", "values-${ARGOCD_APP_NAMESPACE}.yaml"},
			"parameters": []any{map[string]any{"name": "greeting", "value": "$ARGOCD_APP_NAME@${ARGOCD_APP_REVISION_SHORT}"}},
		}},
		map[string]any{"repoURL": valuesURL, "targetRevision": "main", "ref": "values"},
	}})
	unstructured.RemoveNestedField(app.Object, "spec", "source")
	createApp(t, app)
	revs := []any{testutil.Git(t, chartWork, "rev-parse", "HEAD"), testutil.Git(t, valuesWork, "rev-parse", "HEAD")}
	refresh(t, ns)
	testutil.WaitWithin(t, "Argo CD syncing "+ns+" at both sources' heads", 3*time.Minute, func() bool {
		st := appStatus(t, ns)
		sync, _ := st["sync"].(map[string]any)
		op, _ := st["operationState"].(map[string]any)
		got, _ := sync["revisions"].([]any)
		return sync["status"] == "Synced" && slices.Equal(got, revs) && op["phase"] == "Succeeded"
	})
	cm := &corev1.ConfigMap{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: ns}, cm); err != nil { // the release's name: the Application's
		t.Fatal(err)
	}
	d := &appsv1.Deployment{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: ns, Name: ns}, d); err != nil {
		t.Fatal(err)
	}
	applied := []any{cm.Data["GREETING"], d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas}
	if want := []any{ns + "@" + revs[0].(string)[:7], "registry.example.com/web:v2", int32(3)}; !slices.Equal(applied, want) {
		t.Fatalf("Argo CD applied greeting, image and replicas %v, want %v", applied, want)
	}

	source := loop.DiscoveredName(v1alpha1.SourceKindApplication, argoNamespace, ns)
	s := suite.WaitAudit(t, source, "the audit of both sources", func(s v1alpha1.GitSourceStatus) bool {
		c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
		return s.Counts.Objects == 2 && c != nil && c.Status == metav1.ConditionTrue
	})
	if diff := cmp.Diff(v1alpha1.AuditCounts{Objects: 2, InSync: 2}, s.Counts); diff != "" {
		t.Errorf("the audit's counts (-want +got):\n%s\n%s", diff, gitopstest.Drifted(s))
	}
}
