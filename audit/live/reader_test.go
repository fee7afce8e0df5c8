package live

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/driftgate/driftgate/audit"
)

var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// gitManifests are the test's Git: a namespaced Deployment, a ConfigMap without a namespace (it
// gets the default), a cluster-scoped ClusterRole, and a Widget of a CRD the cluster lacks.
func gitManifests(ns string) string {
	return strings.ReplaceAll(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "nginx:1.27"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {LOG_LEVEL: info}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: NS-reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gadget, namespace: NS}
spec: {size: 1}
`, "NS", ns)
}

func TestReaderReadsDeclaredKinds(t *testing.T) {
	c := admin(t)
	ns := newNamespace(t, c)
	git := parseObjects(t, gitManifests(ns))
	for _, y := range strings.Split(gitManifests(ns), "---")[:3] {
		y = strings.Replace(y, "name: settings}", "name: settings, namespace: "+ns+"}", 1)
		c.apply(t, "argocd-controller", y)
	}
	c.edit(t, "kubectl-edit", configMaps, ns, "settings", func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, "1", "data", "EXTRA")
	})

	live, notes, err := c.reader.Read(testContext(t), git, ns)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	wantNotes := []string{"the cluster does not serve Widget.example.com: its 1 object(s) in Git are reported missing"}
	if diff := cmp.Diff(wantNotes, notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	mine := inNamespaceOrNamed(live, ns)
	wantLive := []string{"ClusterRole /" + ns + "-reader", "ConfigMap " + ns + "/settings", "Deployment " + ns + "/web"}
	if diff := cmp.Diff(wantLive, describe(mine)); diff != "" {
		t.Errorf("live objects of this test (-want +got):\n%s", diff)
	}
	for _, o := range live {
		if extra := bookkeeping(o); len(extra) > 0 {
			t.Errorf("%s keeps %v", o.Source, extra)
		}
	}
	if diff := cmp.Diff(wantDiff(), diffSummary(t, git, live, ns)); diff != "" {
		t.Errorf("drift found from the live objects read (-want +got):\n%s", diff)
	}
}

// wantDiff is the drift of TestReaderReadsDeclaredKinds: only what the person's kubectl edit
// added, found through the live managedFields; the Widget is missing.
func wantDiff() []string {
	return []string{
		"ClusterRole in-sync",
		"ConfigMap drifted [data.EXTRA by kubectl-edit]",
		"Deployment in-sync",
		"Widget missing",
	}
}

func diffSummary(t *testing.T, git, live []audit.Object, ns string) []string {
	t.Helper()
	opts := audit.DefaultOptions()
	opts.Namespace = ns
	d, err := audit.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Diff(git, live)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	var out []string
	for _, o := range r.Objects {
		var fields []string
		for _, f := range o.Fields {
			fields = append(fields, f.Path+" by "+f.Manager)
		}
		s := fmt.Sprintf("%s %s", o.Kind, o.Status)
		if len(fields) > 0 {
			s += fmt.Sprintf(" %v", fields)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestReaderFallsBackToNamespacesWhenForbidden(t *testing.T) {
	c := admin(t)
	allowed, denied := newNamespace(t, c), newNamespace(t, c)
	for _, ns := range []string{allowed, denied} {
		c.apply(t, "argocd-controller", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: "+ns+"}\ndata: {a: b}\n")
	}
	alice := newClients(t, aliceMayListConfigMaps(t, c, allowed))
	perNamespace := "listing ConfigMap cluster-wide is forbidden: read in namespaces " + allowed + " only, orphans elsewhere are not seen"

	tests := []struct {
		name          string
		git           string
		wantLive      []string
		wantNotes     []string
		wantForbidden bool
	}{{
		name:      "namespace of the manifest",
		git:       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: " + allowed + "}\n",
		wantLive:  []string{"ConfigMap " + allowed + "/app"},
		wantNotes: []string{perNamespace},
	}, {
		name:      "default namespace",
		git:       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
		wantLive:  []string{"ConfigMap " + allowed + "/app"},
		wantNotes: []string{perNamespace},
	}, {
		name: "an unknown kind is a note, not an error, for anyone",
		git: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n---\n" +
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
		wantLive:  []string{"ConfigMap " + allowed + "/app"},
		wantNotes: []string{perNamespace, "the cluster does not serve Widget.example.com: its 1 object(s) in Git are reported missing"},
	}, {
		name:          "a namespace the reader may not list",
		git:           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: " + denied + "}\n",
		wantForbidden: true,
	}, {
		name:          "a cluster-scoped kind the reader may not list",
		git:           "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n",
		wantForbidden: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, notes, err := alice.reader.Read(testContext(t), parseObjects(t, tt.git), allowed)
			if tt.wantForbidden {
				if !apierrors.IsForbidden(err) {
					t.Fatalf("Read error = %v; want a forbidden error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.wantLive, describe(live)); diff != "" {
				t.Errorf("live objects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}

// aliceMayListConfigMaps lets the user alice list ConfigMaps in one namespace only, and returns
// a config that impersonates her once the API server's RBAC has seen the binding.
func aliceMayListConfigMaps(t *testing.T, c clients, ns string) *rest.Config {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "list-configmaps", Namespace: ns},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list"}}},
	}
	if _, err := c.typed.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alice", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alice"}},
	}
	if _, err := c.typed.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := clusterConfig(t)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "alice"}
	alice := newClients(t, cfg)
	eventually(t, "alice's RoleBinding to take effect", func() bool {
		_, err := alice.dynamic.Resource(configMaps).Namespace(ns).List(ctx, metav1.ListOptions{})
		return err == nil
	})
	return cfg
}
