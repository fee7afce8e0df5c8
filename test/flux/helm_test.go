package flux_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/gitopstest"
)

// helmApp creates the release's namespace and a HelmRelease name in flux-system releasing the
// chart into it as web (interval 5s, targetNamespace ns) with chart and the rest of spec.
func helmApp(t *testing.T, name, ns string, chart, spec map[string]any) {
	t.Helper()
	admin := suite.Cluster.AdminActor(t).Client
	if err := admin.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	hrSpec := map[string]any{"interval": "5s", "targetNamespace": ns, "releaseName": "web",
		"chart": map[string]any{"spec": chart}}
	maps.Copy(hrSpec, spec)
	if err := admin.Create(context.Background(), object("helm.toolkit.fluxcd.io/v2", "HelmRelease", name, hrSpec)); err != nil {
		t.Fatal(err)
	}
}

// create creates objects as the platform engineer does.
func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := suite.Cluster.AdminActor(t).Client.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
	}
}

// valuesConfigMap and valuesSecret hold values.yaml for a HelmRelease's valuesFrom.
func valuesConfigMap(name, values string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: fluxNamespace, Name: name}, Data: map[string]string{"values.yaml": values}}
}

func valuesSecret(name, values string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: fluxNamespace, Name: name}, Data: map[string][]byte{"values.yaml": []byte(values)}}
}

// inSync waits for the HelmRelease's discovered source to audit n objects, all in sync, with
// the HelmRelease's sync applied, and returns its status.
func inSync(t *testing.T, name string, n int) v1alpha1.GitSourceStatus {
	t.Helper()
	s := suite.WaitAudit(t, name, "the discovered source's audit of the release", func(s v1alpha1.GitSourceStatus) bool {
		c := apimeta.FindStatusCondition(s.Conditions, v1alpha1.ConditionSynced)
		return s.Counts.Objects == n && s.SourceKind == v1alpha1.SourceKindHelmRelease && c != nil && c.Status == metav1.ConditionTrue
	})
	want := v1alpha1.AuditCounts{Objects: n, InSync: n}
	if diff := cmp.Diff(want, s.Counts); diff != "" {
		t.Errorf("right after the release was installed, the audit's counts (-want +got):\n%s\n%s", diff, gitopstest.Drifted(s))
	}
	return s
}

// hotfixDrifts has alice set web's image under a grant and checks that the discovered source
// reports it as drift at the image and decides her edit, Required; it returns the grant.
func hotfixDrifts(t *testing.T, source, ns, ticket string) (*v1alpha1.BreakGlassGrant, v1alpha1.BreakGlassEdit) {
	t.Helper()
	g := suite.Hotfix(t, ns, ticket)
	const image = "spec.template.spec.containers[name=web].image"
	s := suite.WaitAudit(t, source, "alice's fix reported as drift", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.Drifted == 1 })
	if got := gitopstest.DriftedPaths(s)["Deployment "+ns+"/web"]; !slices.Equal(got, []string{image}) {
		t.Errorf("drifted paths of the Deployment = %v, want [%s]", got, image)
	}
	var e v1alpha1.BreakGlassEdit
	testutil.WaitFor(t, "alice's edit Required, decided by the discovered source", func() bool {
		edits := suite.Cluster.Edits(t, g.Name)
		if len(edits) == 1 {
			e = edits[0]
		}
		return len(edits) == 1 && e.Status.Backport == v1alpha1.BackportRequired && e.Status.GitSource == source
	})
	return g, e
}

// TestHelmReleaseFromHelmRepositoryIsAudited: a HelmRelease of a chart from a chart repository
// on loopback (HelmRepository), with values and valuesFrom a ConfigMap, installed by
// helm-controller's stand-in as its service account: driftgate keeps a GitSource for it without
// anyone declaring one, renders the chart with the release's values and finds everything in
// sync; alice's edit under a grant is drift at its path, and the release's values changed in
// Git (the HelmRelease as Flux applies it) to hold her fix make the edit Backported.
func TestHelmReleaseFromHelmRepositoryIsAudited(t *testing.T) {
	needHelmReleases(t)
	hc := newHelmController(t)
	const name, ns = "helmrepo", "helmrepo"
	charts := newChartRepository(t, chartFiles("0.1.0", "v1", ""))
	create(t, object("source.toolkit.fluxcd.io/v1", "HelmRepository", name, map[string]any{"url": charts.server.URL, "interval": "10s"}),
		valuesConfigMap(name+"-values", "greeting: hello from valuesFrom\n"))
	helmApp(t, name, ns, map[string]any{"chart": "web", "version": "0.1.0", "sourceRef": map[string]any{"kind": "HelmRepository", "name": name}},
		map[string]any{"values": map[string]any{"replicaCount": 2}, "valuesFrom": []any{map[string]any{"kind": "ConfigMap", "name": name + "-values"}}})
	before := suite.Decisions(t)
	if err := hc.reconcile(t, name, ""); err != nil {
		t.Fatalf("helm-controller's stand-in installing the release: %v", err)
	}
	suite.NoneRefused(t, before, "helm-controller install")
	if d := suite.Web(t, ns); *d.Spec.Replicas != 2 || d.Labels["helm.toolkit.fluxcd.io/name"] != name {
		t.Fatalf("the release's Deployment has %d replicas and labels %v: not what the HelmRelease makes", *d.Spec.Replicas, d.Labels)
	}

	source := loop.DiscoveredName(v1alpha1.SourceKindHelmRelease, fluxNamespace, name)
	s := inSync(t, source, 2)
	if s.Sync == nil || s.Sync.Failing || s.Sync.AppliedRevision != "0.1.0" || s.Revision != "0.1.0" {
		t.Errorf("status.sync = %+v at revision %s, want chart 0.1.0 applied", s.Sync, s.Revision)
	}

	g, e := hotfixDrifts(t, source, ns, "INC-20-helmrepo")
	if !strings.Contains(e.Status.File, "templates/deployment.yaml") {
		t.Errorf("alice's edit names the file %q, want the chart's template of the Deployment", e.Status.File)
	}

	// The backport: the HelmRelease in Git now sets alice's image tag; Flux applies it and
	// helm-controller upgrades the release.
	hr := helmRelease(t, name)
	if err := unstructuredSet(hr.Object, strings.TrimPrefix(gitopstest.HotfixImage, "registry.example.com/web:"), "spec", "values", "image", "tag"); err != nil {
		t.Fatal(err)
	}
	if err := suite.Cluster.AdminActor(t).Client.Update(context.Background(), hr); err != nil {
		t.Fatal(err)
	}
	if err := hc.reconcile(t, name, ""); err != nil {
		t.Fatalf("helm-controller's stand-in upgrading the release: %v", err)
	}
	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || e.Status.Revision != "0.1.0" {
		t.Errorf("alice's edit is %s at revision %q, want Backported at chart 0.1.0", e.Status.Backport, e.Status.Revision)
	}
	suite.WaitAudit(t, source, "the source in sync after the backport", func(s v1alpha1.GitSourceStatus) bool { return s.Counts.InSync == 2 })
}

// TestHelmReleaseFromGitRepositoryIsAudited: a HelmRelease of a chart at a path of a
// GitRepository (reconcileStrategy Revision), with values and valuesFrom a Secret: in sync after
// the install; alice's edit is drift, her edit names the chart's file in Git; the chart's values
// changed in Git to hold her fix make it Backported at that commit.
func TestHelmReleaseFromGitRepositoryIsAudited(t *testing.T) {
	needHelmReleases(t)
	hc := newHelmController(t)
	const name, ns = "helmgit", "helmgit"
	work := t.TempDir()
	files := map[string]string{}
	for k, v := range chartFiles("0.1.0", "v1", "") {
		files["charts/"+k] = v
	}
	writeFiles(t, work, files)
	url := suite.Git.Push(t, name, work)
	create(t, object("source.toolkit.fluxcd.io/v1", "GitRepository", name, map[string]any{"url": url, "interval": "10s", "ref": map[string]any{"branch": "main"}}),
		valuesSecret(name+"-values", "replicaCount: 3\n"))
	helmApp(t, name, ns, map[string]any{"chart": "./charts/web", "reconcileStrategy": "Revision", "sourceRef": map[string]any{"kind": "GitRepository", "name": name}},
		map[string]any{"values": map[string]any{"greeting": "hello from spec.values"}, "valuesFrom": []any{map[string]any{"kind": "Secret", "name": name + "-values"}}})
	commit := testutil.Git(t, work, "rev-parse", "HEAD")
	if err := hc.reconcile(t, name, commit[:12]); err != nil {
		t.Fatalf("helm-controller's stand-in installing the release: %v", err)
	}
	if d := suite.Web(t, ns); *d.Spec.Replicas != 3 {
		t.Fatalf("the release's Deployment has %d replicas, want the Secret's 3", *d.Spec.Replicas)
	}
	source := loop.DiscoveredName(v1alpha1.SourceKindHelmRelease, fluxNamespace, name)
	s := inSync(t, source, 2)
	if !strings.HasPrefix(s.Revision, "0.1.0+"+commit[:12]) {
		t.Errorf("the audited revision is %q, want the chart at commit %s", s.Revision, commit)
	}

	g, e := hotfixDrifts(t, source, ns, "INC-20-helmgit")
	if !strings.HasPrefix(e.Status.File, "charts/web/") {
		t.Errorf("alice's edit names the file %q, want the chart's file in Git (charts/web/…)", e.Status.File)
	}

	// The backport: the chart's default image tag in Git is alice's.
	tag := strings.TrimPrefix(gitopstest.HotfixImage, "registry.example.com/web:")
	for k, v := range chartFiles("0.1.0", tag, "") {
		files["charts/"+k] = v
	}
	writeFiles(t, work, files)
	testutil.CommitPush(t, work, url, "INC-20: the hotfix image")
	commit = testutil.Git(t, work, "rev-parse", "HEAD")
	requestReconcile(t, "source.toolkit.fluxcd.io/v1", "GitRepository", name, "backport")
	if err := hc.reconcile(t, name, commit[:12]); err != nil {
		t.Fatalf("helm-controller's stand-in upgrading the release: %v", err)
	}
	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || !strings.Contains(e.Status.Revision, commit[:12]) {
		t.Errorf("alice's edit is %s at revision %q, want Backported at the chart of commit %s", e.Status.Backport, e.Status.Revision, commit)
	}
}

// TestHelmReleaseBadInputIsStale: what driftgate cannot render (a chart that fails to render,
// values that are not YAML, a chart repository it cannot reach) leaves the source stale with a
// one-line message saying why: nothing of it is vouched in sync, and a Secret's values are not
// in the message.
func TestHelmReleaseBadInputIsStale(t *testing.T) {
	needHelmReleases(t)
	hc := newHelmController(t)
	const secretValue = "s3cr3t-value"
	charts := newChartRepository(t, chartFiles("0.1.0", "v1", ""),
		chartFiles("0.2.0", "v1", "        args: [{{ required \"image.digest is required\" .Values.image.digest | quote }}]\n"))
	for _, tt := range []struct {
		name string
		// repoURL is the chart repository's URL; break makes the release unrenderable after it
		// was installed (nil: it never could be).
		repoURL string
		break_  func(t *testing.T, name string)
		want    string
	}{
		{name: "badchart", repoURL: charts.server.URL, break_: func(t *testing.T, name string) {
			hr := helmRelease(t, name)
			if err := unstructuredSet(hr.Object, "0.2.0", "spec", "chart", "spec", "version"); err != nil {
				t.Fatal(err)
			}
			if err := suite.Cluster.AdminActor(t).Client.Update(context.Background(), hr); err != nil {
				t.Fatal(err)
			}
			if err := hc.reconcile(t, name, ""); err == nil {
				t.Fatal("helm-controller's stand-in installed chart 0.2.0, which cannot render")
			}
		}, want: "image.digest is required"},
		{name: "badvalues", repoURL: charts.server.URL, break_: func(t *testing.T, name string) {
			s := valuesSecret(name+"-values", "replicaCount: [2\n  "+secretValue+": {\n")
			if err := suite.Cluster.AdminActor(t).Client.Update(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}, want: "spec.valuesFrom[0] (Secret flux-system/badvalues-values key values.yaml) is not YAML"},
		{name: "norepo", repoURL: closedURL(t), want: "its HelmChart flux-system/flux-system-norepo is not Ready: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			create(t, object("source.toolkit.fluxcd.io/v1", "HelmRepository", tt.name, map[string]any{"url": tt.repoURL, "interval": "5s"}),
				valuesSecret(tt.name+"-values", "replicaCount: 2\n"))
			helmApp(t, tt.name, tt.name, map[string]any{"chart": "web", "version": "0.1.0", "sourceRef": map[string]any{"kind": "HelmRepository", "name": tt.name}},
				map[string]any{"valuesFrom": []any{map[string]any{"kind": "Secret", "name": tt.name + "-values"}}})
			source := loop.DiscoveredName(v1alpha1.SourceKindHelmRelease, fluxNamespace, tt.name)
			if tt.break_ != nil {
				if err := hc.reconcile(t, tt.name, ""); err != nil {
					t.Fatal(err)
				}
				inSync(t, source, 2)
				tt.break_(t, tt.name)
			} else {
				hc.keepChart(t, helmRelease(t, tt.name))
			}
			var gs v1alpha1.GitSource
			testutil.WaitFor(t, "the source stale, saying why", func() bool {
				if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Name: source}, &gs); err != nil {
					return false
				}
				c := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable)
				return gs.Status.Stale && c != nil && c.Status == metav1.ConditionFalse && strings.Contains(c.Message, tt.want)
			})
			avail := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionSourceAvailable)
			ready := apimeta.FindStatusCondition(gs.Status.Conditions, v1alpha1.ConditionReady)
			if strings.Contains(avail.Message, "\n") || strings.Contains(avail.Message, secretValue) {
				t.Errorf("SourceAvailable's message is not one line without the Secret's values: %q", avail.Message)
			}
			if ready == nil || ready.Status != metav1.ConditionFalse || gs.Status.Counts.InSync != 0 {
				t.Errorf("a source that cannot be rendered vouches for %d objects in sync (Ready %+v)", gs.Status.Counts.InSync, ready)
			}
			t.Logf("SourceAvailable: %s", avail.Message)
		})
	}
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://%s", addr)
}

// unstructuredSet sets a string at path in obj, making the maps on the way.
func unstructuredSet(obj map[string]any, value string, path ...string) error {
	m := obj
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return fmt.Errorf("%s is not a map", k)
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = value
	return nil
}

// TestHelmReleaseBackportThroughFlux: a HelmRelease in Git, applied by a Flux Kustomization,
// of a chart in the same repository. alice's fix of the image under a grant is written back by
// `driftgate backport --ticket --push` (the built CLI) as the values key that produces it: the
// chart's default image.tag, so a new spec.values override in the HelmRelease's file, comments
// kept. bob merges the branch with plain git, Flux applies the HelmRelease, helm-controller's
// stand-in upgrades the release, and the edit is Backported at the merge's chart revision; the
// ticket's report is READY TO CLOSE.
func TestHelmReleaseBackportThroughFlux(t *testing.T) {
	needHelmReleases(t)
	hc := newHelmController(t)
	const name, ns, ticket = "helmbp", "helmbp", "INC-21-helmbp"
	work := t.TempDir()
	files := map[string]string{"apps/helmrelease.yaml": `# The web release; its chart is in this repository.
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ` + name + `
  namespace: ` + fluxNamespace + `
spec:
  interval: 5s
  targetNamespace: ` + ns + `
  releaseName: web
  chart:
    spec:
      chart: ./charts/web
      reconcileStrategy: Revision
      sourceRef: {kind: GitRepository, name: ` + name + `}
  values:
    replicaCount: 2 # two until the load test
`}
	for k, v := range chartFiles("0.1.0", "v1", "") {
		files["charts/"+k] = v
	}
	writeFiles(t, work, files)
	url := suite.Git.Push(t, name, work)
	if err := suite.Cluster.AdminActor(t).Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	applyFlux(t, name, url, "./apps")
	commit := testutil.Git(t, work, "rev-parse", "HEAD")
	if err := hc.reconcile(t, name, commit[:12]); err != nil {
		t.Fatalf("helm-controller's stand-in installing the release: %v", err)
	}
	source := loop.DiscoveredName(v1alpha1.SourceKindHelmRelease, fluxNamespace, name)
	inSync(t, source, 2)
	g, _ := hotfixDrifts(t, source, ns, ticket)

	kc := suite.Cluster.Kubeconfig(t)
	const branch = "driftgate/backport-" + ticket
	out, errOut, code := suite.Cluster.RunCLI(t, kc, "backport", "--ticket", ticket, "--push", "--author", "Alice <alice@example.com>")
	wantLine := `spec.template.spec.containers[name=web].image: "registry.example.com/web:v1" → "` + gitopstest.HotfixImage + `" (apps/helmrelease.yaml)`
	if code != 0 || !strings.Contains(out, wantLine) || !strings.Contains(out, "pushed branch "+branch) {
		t.Fatalf("backport --push: exit %d, want 0, %q and the branch pushed:\n%s%s", code, wantLine, out, errOut)
	}

	// bob merges the pull request.
	testutil.Git(t, work, "fetch", "-q", url, branch)
	testutil.Git(t, work, "-c", "user.name=bob", "-c", "user.email=bob@example.com", "merge", "-q", "--no-ff", "-m", "Merge "+branch, "FETCH_HEAD")
	testutil.Git(t, work, "push", "-q", url, "main")
	merge := testutil.Git(t, work, "rev-parse", "HEAD")
	got, err := os.ReadFile(filepath.Join(work, "apps", "helmrelease.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantValues := "  values:\n    replicaCount: 2 # two until the load test\n    image:\n      tag: v1-hotfix\n"
	if !strings.HasSuffix(string(got), wantValues) {
		t.Errorf("the HelmRelease in Git after the merge:\n%s\nwant it to end with:\n%s", got, wantValues)
	}
	reconcile(t, name, "merged")
	if err := hc.reconcile(t, name, merge[:12]); err != nil {
		t.Fatalf("helm-controller's stand-in upgrading the release: %v", err)
	}
	testutil.WaitFor(t, "alice's edit Backported", func() bool { return len(openEdits(t, g.Name)) == 0 })
	if e := suite.Cluster.Edits(t, g.Name)[0]; e.Status.Backport != v1alpha1.Backported || !strings.Contains(e.Status.Revision, merge[:12]) {
		t.Errorf("alice's edit is %s at revision %q, want Backported at the chart of the merge %s", e.Status.Backport, e.Status.Revision, merge)
	}
	out, errOut, code = suite.Cluster.RunCLI(t, kc, "report", "--ticket", ticket)
	if code != 0 || !strings.Contains(out, "READY TO CLOSE") {
		t.Errorf("report after the merge: exit %d, want 0 and READY TO CLOSE:\n%s%s", code, out, errOut)
	}
}
