package flux_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/kube"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// helmCRDs holds the HelmRelease CRD, generated from github.com/fluxcd/helm-controller/api v1.6.5
// (the api module's Flux 1.9 line: the fluxcd/pkg/apis versions source-controller 1.9.6 is built
// with) by controller-gen; helm-controller's own module, which ships the CRD, is not served.
const helmCRDs = "testdata/helmcrd"

// needHelmReleases installs the HelmRelease CRD once, and restarts driftgate's audit loop so that
// it discovers HelmReleases (the kinds the cluster serves are read when it starts).
func needHelmReleases(t *testing.T) {
	t.Helper()
	suite.Need(t)
	ctx := context.Background()
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	err := suite.Cluster.AdminActor(t).Client.Get(ctx, client.ObjectKey{Name: "helmreleases.helm.toolkit.fluxcd.io"}, crd)
	switch {
	case err == nil:
		return
	case !apierrors.IsNotFound(err):
		t.Fatal(err)
	}
	if _, err := envtest.InstallCRDs(suite.Cluster.Admin, envtest.CRDInstallOptions{Paths: []string{helmCRDs}, ErrorIfPathMissing: true}); err != nil {
		t.Fatalf("installing the HelmRelease CRD: %v", err)
	}
	suite.Cluster.StopAudit()
	if err := suite.Cluster.StartAudit(ctx); err != nil {
		t.Fatalf("restarting the audit loop: %v", err)
	}
}

// chartFiles is the test chart web at version: a Deployment and a ConfigMap, its image and
// replicas from values, the ConfigMap's greeting from values. tmplExtra is added to the
// Deployment's template (a broken template for the bad-input case).
func chartFiles(version, imageTag, tmplExtra string) map[string]string {
	return map[string]string{
		"web/Chart.yaml":  "apiVersion: v2\nname: web\nversion: " + version + "\n",
		"web/values.yaml": "replicaCount: 1\nimage:\n  repository: registry.example.com/web\n  tag: " + imageTag + "\ngreeting: hi\n",
		"web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, release: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
` + tmplExtra,
		"web/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  GREETING: {{ .Values.greeting | quote }}\n",
		"web/templates/NOTES.txt":      "web {{ .Chart.Version }} is installed\n",
	}
}

// chartRepository is a Helm chart repository served on loopback: index.yaml and the charts'
// archives over HTTP, as a HelmRepository of type default reads them.
type chartRepository struct {
	dir    string
	server *httptest.Server
}

// newChartRepository serves the charts (each a chartFiles map) on loopback until the test ends.
func newChartRepository(t *testing.T, charts ...map[string]string) *chartRepository {
	t.Helper()
	r := &chartRepository{dir: t.TempDir()}
	r.server = httptest.NewServer(http.FileServer(http.Dir(r.dir)))
	t.Cleanup(r.server.Close)
	for _, files := range charts {
		src := t.TempDir()
		writeFiles(t, src, files)
		ch, err := loader.LoadDir(filepath.Join(src, "web"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chartutil.Save(ch, r.dir); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := repo.IndexDirectory(r.dir, r.server.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// helmController stands in for helm-controller, which cannot be built here (its module is not
// served): for a HelmRelease it does what helm-controller does: keeps the HelmChart (which the
// real source-controller then builds), installs or upgrades the release with the Helm SDK
// from the HelmChart's artifact, with the release's values and helm-controller's labels put on
// by a post-renderer, as helm-controller's service account (field manager helm-controller),
// and writes the HelmRelease's status (history, lastAttemptedRevision, Ready).
type helmController struct {
	kubeconfig string
}

// newHelmController makes helm-controller's service account in flux-system (bound to
// cluster-admin, as Flux's install binds it) and a kubeconfig with its token.
func newHelmController(t *testing.T) *helmController {
	t.Helper()
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(suite.Cluster.Admin)
	if err != nil {
		t.Fatal(err)
	}
	const name = "helm-controller"
	_, err = cs.CoreV1().ServiceAccounts(fluxNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	b := testenv.Binding("test-flux-helm-controller", "cluster-admin", testenv.ServiceAccountSubject(fluxNamespace, name))
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	kc, err := flux.tokenKubeconfig(ctx, cs, name)
	if err != nil {
		t.Fatal(err)
	}
	// helm-controller sets the Helm SDK's field manager to its own name.
	kube.ManagedFieldsManager = name
	return &helmController{kubeconfig: kc}
}

// helmRelease reads the HelmRelease name in flux-system.
func helmRelease(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	hr := object("helm.toolkit.fluxcd.io/v2", "HelmRelease", name, nil)
	if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKeyFromObject(hr), hr); err != nil {
		t.Fatal(err)
	}
	return hr
}

// reconcile does one reconcile of the HelmRelease name: the HelmChart made and built, the
// release installed or upgraded. It returns Helm's error (the status then says Ready False).
// revisionHas, when set, is part of the chart revision to wait for (a commit, for a chart from
// a GitRepository with reconcileStrategy Revision).
func (c *helmController) reconcile(t *testing.T, name, revisionHas string) error {
	t.Helper()
	ctx := context.Background()
	admin := suite.Cluster.AdminActor(t).Client
	hr := helmRelease(t, name)
	hcName := c.keepChart(t, hr)
	spec, _, _ := unstructured.NestedMap(hr.Object, "spec", "chart", "spec")
	want, _ := spec["version"].(string)
	if strings.ContainsAny(want, "*^~<>=xX |") {
		want = "" // a range (the CRD defaults it to *), not the version to wait for
	}
	var art struct{ URL, Digest, Revision string }
	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("HelmChart %s: %s\nsource-controller:\n%s", hcName, last, flux.log("source-controller"))
		}
	})
	testutil.WaitWithin(t, "source-controller building HelmChart "+hcName, 2*time.Minute, func() bool {
		got := object("source.toolkit.fluxcd.io/v1", "HelmChart", hcName, nil)
		if admin.Get(ctx, client.ObjectKeyFromObject(got), got) != nil {
			return false
		}
		st, _, _ := unstructured.NestedMap(got.Object, "status")
		last = fmt.Sprint(st)
		art.URL, _, _ = unstructured.NestedString(got.Object, "status", "artifact", "url")
		art.Digest, _, _ = unstructured.NestedString(got.Object, "status", "artifact", "digest")
		art.Revision, _, _ = unstructured.NestedString(got.Object, "status", "artifact", "revision")
		gen, _, _ := unstructured.NestedInt64(got.Object, "status", "observedGeneration")
		return art.URL != "" && gen == got.GetGeneration() && (want == "" || strings.HasPrefix(art.Revision, want)) &&
			strings.Contains(art.Revision, revisionHas)
	})
	ch := c.chart(t, art.URL, art.Digest)
	vals := c.values(t, hr)
	err := c.release(ch, hr, vals)
	c.writeStatus(t, hr, hcName, ch, vals, art.Revision, err)
	return err
}

// keepChart makes the HelmChart of the HelmRelease's spec.chart as helm-controller does
// (<namespace>-<name>, in the namespace of the chart's source), for source-controller to build.
func (c *helmController) keepChart(t *testing.T, hr *unstructured.Unstructured) string {
	t.Helper()
	spec, _, _ := unstructured.NestedMap(hr.Object, "spec", "chart", "spec")
	name := hr.GetNamespace() + "-" + hr.GetName()
	hcSpec := map[string]any{"chart": spec["chart"], "sourceRef": spec["sourceRef"], "interval": "5s"}
	for _, k := range []string{"version", "reconcileStrategy", "valuesFiles"} {
		if v, ok := spec[k]; ok {
			hcSpec[k] = v
		}
	}
	ctx, admin := context.Background(), suite.Cluster.AdminActor(t).Client
	hc := object("source.toolkit.fluxcd.io/v1", "HelmChart", name, hcSpec)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got := hc.DeepCopy()
		err := admin.Get(ctx, client.ObjectKeyFromObject(hc), got)
		switch {
		case apierrors.IsNotFound(err):
			return admin.Create(ctx, hc)
		case err != nil:
			return err
		}
		got.Object["spec"] = hcSpec
		return admin.Update(ctx, got)
	})
	if err != nil {
		t.Fatalf("keeping the HelmChart: %v", err)
	}
	return name
}

// chart downloads the HelmChart's artifact and checks its digest.
func (c *helmController) chart(t *testing.T, url, digest string) *chart.Chart {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); "sha256:"+hex.EncodeToString(sum[:]) != digest {
		t.Fatalf("the chart artifact does not match its digest %s", digest)
	}
	ch, err := loader.LoadArchive(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// values are the release's values: each valuesFrom entry (ConfigMaps and Secrets, key
// values.yaml) merged in order, spec.values last.
func (c *helmController) values(t *testing.T, hr *unstructured.Unstructured) map[string]any {
	t.Helper()
	out := map[string]any{}
	from, _, _ := unstructured.NestedSlice(hr.Object, "spec", "valuesFrom")
	for _, f := range from {
		ref, _ := f.(map[string]any)
		key, _ := ref["valuesKey"].(string)
		if key == "" {
			key = "values.yaml"
		}
		var raw []byte
		switch ref["kind"] {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: hr.GetNamespace(), Name: ref["name"].(string)}, &cm); err != nil {
				t.Fatal(err)
			}
			raw = []byte(cm.Data[key])
		case "Secret":
			var s corev1.Secret
			if err := suite.Cluster.AdminActor(t).Client.Get(context.Background(), client.ObjectKey{Namespace: hr.GetNamespace(), Name: ref["name"].(string)}, &s); err != nil {
				t.Fatal(err)
			}
			raw = s.Data[key]
		}
		var m map[string]any
		if err := yaml.Unmarshal(raw, &m); err != nil {
			continue // helm-controller fails the release; the tests' broken values are not installed
		}
		out = loader.MergeMaps(out, m)
	}
	inline, _, _ := unstructured.NestedMap(hr.Object, "spec", "values")
	return loader.MergeMaps(out, inline)
}

// release installs or upgrades the release as helm-controller does, as its service account.
func (c *helmController) release(ch *chart.Chart, hr *unstructured.Unstructured, vals map[string]any) error {
	name, ns := hr.GetName(), hr.GetNamespace()
	if target, _, _ := unstructured.NestedString(hr.Object, "spec", "targetNamespace"); target != "" {
		name, ns = target+"-"+hr.GetName(), target
	}
	if rn, _, _ := unstructured.NestedString(hr.Object, "spec", "releaseName"); rn != "" {
		name = rn
	}
	cfg := action.NewConfiguration()
	cfg.SetLogger(slog.DiscardHandler)
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig, flags.Namespace = &c.kubeconfig, &ns
	if err := cfg.Init(flags, ns, "secret"); err != nil {
		return err
	}
	labels := fluxLabels{name: hr.GetName(), namespace: hr.GetNamespace()}
	ctx := context.Background()
	hist := action.NewHistory(cfg)
	hist.Max = 1
	if _, err := hist.Run(name); err != nil {
		in := action.NewInstall(cfg)
		in.ReleaseName, in.Namespace, in.PostRenderer = name, ns, labels
		in.WaitStrategy = kube.HookOnlyStrategy
		_, err := in.RunWithContext(ctx, ch, vals)
		return err
	}
	up := action.NewUpgrade(cfg)
	up.Namespace, up.PostRenderer, up.ForceConflicts = ns, labels, true
	up.WaitStrategy = kube.HookOnlyStrategy
	_, err := up.RunWithContext(ctx, name, ch, vals)
	return err
}

// writeStatus writes what helm-controller says of the reconcile into the HelmRelease's status.
func (c *helmController) writeStatus(t *testing.T, hr *unstructured.Unstructured, hcName string, ch *chart.Chart, vals map[string]any, revision string, relErr error) {
	t.Helper()
	raw, _ := json.Marshal(vals)
	sum := sha256.Sum256(raw)
	cond := map[string]any{"type": "Ready", "status": "True", "reason": "UpgradeSucceeded", "message": "Helm upgrade succeeded",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339), "observedGeneration": hr.GetGeneration()}
	status, _, _ := unstructured.NestedMap(hr.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	status["helmChart"] = fluxNamespace + "/" + hcName
	status["lastAttemptedRevision"] = revision
	status["lastAttemptedConfigDigest"] = "sha256:" + hex.EncodeToString(sum[:])
	status["observedGeneration"] = hr.GetGeneration()
	if relErr != nil {
		cond["status"], cond["reason"], cond["message"] = "False", "UpgradeFailed", "Helm upgrade failed: "+firstLine(relErr.Error())
	} else {
		history, _ := status["history"].([]any)
		for _, h := range history {
			if m, _ := h.(map[string]any); m != nil && m["status"] == "deployed" {
				m["status"] = "superseded"
			}
		}
		snap := map[string]any{"name": hr.GetName(), "namespace": hr.GetNamespace(), "version": int64(len(history) + 1),
			"status": "deployed", "chartName": ch.Name(), "chartVersion": ch.Metadata.Version,
			"configDigest": "sha256:" + hex.EncodeToString(sum[:]), "digest": "sha256:" + hex.EncodeToString(sum[:]),
			"firstDeployed": time.Now().UTC().Format(time.RFC3339), "lastDeployed": time.Now().UTC().Format(time.RFC3339)}
		status["history"] = append([]any{snap}, history...)
	}
	status["conditions"] = []any{cond}
	hr.Object["status"] = status
	if err := suite.Cluster.AdminActor(t).Client.Status().Update(context.Background(), hr); err != nil {
		t.Fatalf("writing the HelmRelease's status: %v", err)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// fluxLabels is helm-controller's post-renderer: its labels on every object of the release.
type fluxLabels struct{ name, namespace string }

func (l fluxLabels) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out := &bytes.Buffer{}
	for doc := range strings.SplitSeq(in.String(), "\n---") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		u := unstructured.Unstructured{Object: m}
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels["helm.toolkit.fluxcd.io/name"], labels["helm.toolkit.fluxcd.io/namespace"] = l.name, l.namespace
		u.SetLabels(labels)
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "---\n%s", b)
	}
	return out, nil
}
