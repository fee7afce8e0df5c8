package admission_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

const argoMarker = "argocd.argoproj.io/tracking-id"

func argoOwned(ns string) map[string]string {
	return map[string]string{argoMarker: "checkout:apps/Deployment:" + ns + "/checkout"}
}

func fluxOwned() map[string]string {
	return map[string]string{
		"kustomize.toolkit.fluxcd.io/name":      "apps",
		"kustomize.toolkit.fluxcd.io/namespace": "flux-system",
	}
}

func deployment(ns, name string, labels, annotations map[string]string) *appsv1.Deployment {
	sel := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, Annotations: annotations},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/checkout:v1.2.3"}}},
			},
		},
	}
}

// create makes obj as a, failing the test on error.
func (a *actor) create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := a.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("%s creating %s: %v", a.Name, obj.GetName(), err)
	}
}

func (a *actor) getDeployment(t *testing.T, ns, name string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := a.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	return d
}

func wantDenied(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want denied", what)
	}
	msg := err.Error()
	if !strings.Contains(msg, `admission webhook "validate.driftgate.io" denied the request`) {
		t.Fatalf("%s: failed, but not by driftgate: %v", what, err)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("%s: denial %q does not say %q", what, msg, f)
		}
	}
}

func wantAllowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want allowed", what, err)
	}
}

func TestGitOpsIdentitiesWriteOwnedObjects(t *testing.T) {
	tests := []struct {
		actor   string
		markers func(ns string) (labels, annotations map[string]string)
	}{
		{"argocd", func(ns string) (map[string]string, map[string]string) { return nil, argoOwned(ns) }},
		{"flux", func(string) (map[string]string, map[string]string) { return fluxOwned(), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.actor, func(t *testing.T) {
			ns := namespace(t, nil)
			sa := serviceAccount(t, tt.actor)
			labels, annotations := tt.markers(ns)
			d := deployment(ns, "checkout", labels, annotations)
			wantAllowed(t, "create", sa.Client.Create(context.Background(), d))
			d.Spec.Replicas = ptr.To[int32](5)
			wantAllowed(t, "update", sa.Client.Update(context.Background(), d))
			wantAllowed(t, "delete", sa.Client.Delete(context.Background(), d))
		})
	}
}

func TestPersonCannotWriteOwnedObject(t *testing.T) {
	ns := namespace(t, nil)
	serviceAccount(t, "argocd").create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
	alice := person(t, "alice")
	ctx := context.Background()
	owner := `owned by Argo CD application "checkout"`
	hint := "driftgate breakglass request --namespace " + ns + " --resource deployments.apps"

	tests := []struct {
		name      string
		write     func() error
		fragments []string
	}{
		{"update", func() error {
			d := alice.getDeployment(t, ns, "checkout")
			d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/checkout:v1.2.4"
			return alice.Client.Update(ctx, d)
		}, []string{owner, "alice is not a GitOps identity", hint}},
		{"patch", func() error {
			d := alice.getDeployment(t, ns, "checkout")
			patch := client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"replicas":7}}`))
			return alice.Client.Patch(ctx, d, patch)
		}, []string{owner, hint}},
		{"scale subresource", func() error {
			_, err := alice.CS.AppsV1().Deployments(ns).UpdateScale(ctx, "checkout", &autoscalingv1.Scale{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "checkout"},
				Spec:       autoscalingv1.ScaleSpec{Replicas: 9},
			}, metav1.UpdateOptions{})
			return err
		}, []string{"Deployment " + ns + "/checkout is " + owner, hint}},
		{"server-side dry-run", func() error {
			d := alice.getDeployment(t, ns, "checkout")
			d.Spec.Replicas = ptr.To[int32](3)
			return alice.Client.Update(ctx, d, client.DryRunAll)
		}, []string{owner, hint}},
		{"strip the marker", func() error {
			d := alice.getDeployment(t, ns, "checkout")
			delete(d.Annotations, argoMarker)
			return alice.Client.Update(ctx, d)
		}, []string{owner, `metadata.annotations["argocd.argoproj.io/tracking-id"] is a GitOps ownership marker`}},
		{"delete", func() error {
			return alice.Client.Delete(ctx, alice.getDeployment(t, ns, "checkout"))
		}, []string{owner, hint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantDenied(t, tt.name, tt.write(), tt.fragments...)
		})
	}
	if got := alice.getDeployment(t, ns, "checkout"); *got.Spec.Replicas != 2 || got.Annotations[argoMarker] == "" {
		t.Errorf("a denied write changed the object: replicas %d, annotations %v", *got.Spec.Replicas, got.Annotations)
	}
}

func TestPersonMayEditUnownedObjects(t *testing.T) {
	ns := namespace(t, nil)
	alice := person(t, "alice")
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scratch"}, Data: map[string]string{"a": "1"}}
	wantAllowed(t, "create", alice.Client.Create(ctx, cm))
	cm.Data["a"] = "2"
	wantAllowed(t, "update", alice.Client.Update(ctx, cm))
	wantAllowed(t, "delete", alice.Client.Delete(ctx, cm))
	if w := alice.Warnings.All(); w != "" {
		t.Errorf("unowned writes drew warnings: %s", w)
	}
}

func TestPersonMayNotClaimOwnership(t *testing.T) {
	ns := namespace(t, nil)
	alice := person(t, "alice")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mine", Labels: fluxOwned()}}
	wantDenied(t, "create with a Flux marker", alice.Client.Create(context.Background(), cm),
		`Flux Kustomization flux-system/apps`, `metadata.labels["kustomize.toolkit.fluxcd.io/name"] is a GitOps ownership marker`)
}

// TestNeverIntercepted: kube-system and leases are never sent to the webhook, so even a write
// that would otherwise be denied (a person adding an ownership marker) goes through.
func TestNeverIntercepted(t *testing.T) {
	alice := person(t, "alice")
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", GenerateName: "t-", Labels: fluxOwned()}}
	wantAllowed(t, "marker on a ConfigMap in kube-system", alice.Client.Create(ctx, cm))
	t.Cleanup(func() { _ = admin(t).Client.Delete(context.Background(), cm) })
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: namespace(t, nil), Name: "l", Labels: fluxOwned()}}
	wantAllowed(t, "marker on a Lease", alice.Client.Create(ctx, lease))
}

func TestSystemControllersDeleteOwnedObjects(t *testing.T) {
	for _, key := range []string{"garbageCollector", "namespaceCtrl"} {
		t.Run(key, func(t *testing.T) {
			ns := namespace(t, nil)
			serviceAccount(t, "argocd").create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
			sys := serviceAccount(t, key)
			wantAllowed(t, "delete", sys.Client.Delete(context.Background(), deployment(ns, "checkout", nil, nil)))
		})
	}
}

// TestCertificateSystemControllerDeletesOwnedObjects: the controller manager authenticates with
// a client certificate (credential id X509SHA256) and still deletes what Git owns; the same name
// worn through impersonation is a person's.
func TestCertificateSystemControllerDeletesOwnedObjects(t *testing.T) {
	const kcm = "system:kube-controller-manager"
	ctx := context.Background()
	b := testenv.Binding("test-kcm-"+namespace(t, nil), "cluster-admin", testenv.UserSubject(kcm))
	if err := cluster.AdminActor(t).Client.Create(ctx, &b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.AdminActor(t).Client.Delete(context.Background(), &b) })
	ns := namespace(t, nil)
	argo := serviceAccount(t, "argocd")
	argo.create(t, deployment(ns, "worn", nil, argoOwned(ns)))
	argo.create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
	wantDenied(t, "the controller manager's name worn with impersonation",
		person(t, kcm).Client.Delete(ctx, deployment(ns, "worn", nil, nil)), "impersonated, so it counts as a person")
	var err error
	testutil.WaitFor(t, "the controller manager's certificate RBAC", func() bool {
		err = cluster.CertificateUser(t, kcm).Client.Delete(ctx, deployment(ns, "checkout", nil, nil))
		return err == nil || !strings.Contains(err.Error(), "forbidden: User")
	})
	wantAllowed(t, "the controller manager, with its certificate, deleting an owned Deployment", err)
}

func TestModes(t *testing.T) {
	tests := []struct {
		mode        string
		wantWarning string
		wantRecords int
	}{
		{"warn", "driftgate warn mode: this write would be denied", 1},
		{"dryrun", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			ns := namespace(t, map[string]string{"driftgate.io/mode": tt.mode})
			serviceAccount(t, "flux").create(t, deployment(ns, "checkout", fluxOwned(), nil))
			alice := person(t, "alice")
			d := alice.getDeployment(t, ns, "checkout")
			d.Spec.Replicas = ptr.To[int32](4)
			wantAllowed(t, tt.mode+" mode update", alice.Client.Update(context.Background(), d))
			got := alice.Warnings.All()
			if tt.wantWarning == "" && got != "" || !strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings = %q, want %q", got, tt.wantWarning)
			}
			// warn mode records the write as an unauthorized edit, with no grant; dryrun does not.
			var records []string
			for _, e := range editsIn(t, ns) {
				records = append(records, fmt.Sprintf("grant=%q user=%s mode=%s %s", e.Spec.Grant, e.Spec.User, e.Spec.Mode, e.Spec.Changes[0].Path))
			}
			want := []string{fmt.Sprintf(`grant="" user=alice mode=%s spec.replicas`, tt.mode)}[:tt.wantRecords]
			if diff := cmp.Diff(want, records, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPersonMayNotSwitchModes(t *testing.T) {
	name := namespace(t, nil)
	for _, who := range []*actor{person(t, "alice"), admin(t)} {
		ns := &corev1.Namespace{}
		if err := who.Client.Get(context.Background(), client.ObjectKey{Name: name}, ns); err != nil {
			t.Fatal(err)
		}
		ns.Labels["driftgate.io/mode"] = "dryrun"
		wantDenied(t, who.Name+" setting dryrun mode", who.Client.Update(context.Background(), ns),
			`metadata.labels["driftgate.io/mode"] is a GitOps driftgate mode switch`)
	}
}

func TestPauseSwitchByPersonDenied(t *testing.T) {
	ns := namespace(t, nil)
	serviceAccount(t, "flux").create(t, deployment(ns, "checkout", fluxOwned(), nil))
	activeGrant(t, "alice", ns, "deployments.apps", time.Hour)
	alice := person(t, "alice")
	d := alice.getDeployment(t, ns, "checkout")
	d.Annotations = map[string]string{"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}
	wantDenied(t, "reconcile: disabled", alice.Client.Update(context.Background(), d),
		`metadata.annotations["kustomize.toolkit.fluxcd.io/reconcile"] is a GitOps pause switch`)
}

func TestBreakGlassGrants(t *testing.T) {
	tests := []struct {
		name      string
		grantNS   func(ns string) string
		resource  string
		expiresIn time.Duration
		allowed   bool
	}{
		{"covering grant", func(ns string) string { return ns }, "deployments.apps", time.Hour, true},
		{"expired grant", func(ns string) string { return ns }, "deployments.apps", -time.Minute, false},
		{"other namespace", func(string) string { return "elsewhere" }, "deployments.apps", time.Hour, false},
		{"other resource", func(ns string) string { return ns }, "configmaps", time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := namespace(t, nil)
			serviceAccount(t, "argocd").create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
			grant := activeGrant(t, "alice", tt.grantNS(ns), tt.resource, tt.expiresIn)
			alice := person(t, "alice")
			d := alice.getDeployment(t, ns, "checkout")
			d.Spec.Template.Spec.Containers[0].Image = "registry.example.com/checkout:v1.2.4"
			err := alice.Client.Update(context.Background(), d)
			if !tt.allowed {
				wantDenied(t, "update", err, "holds no active break-glass grant")
				return
			}
			wantAllowed(t, "update", err)
			if w := alice.Warnings.All(); !strings.Contains(w, "under grant "+grant.Name+", ticket INC-4242") {
				t.Errorf("warnings = %q, want the grant and ticket named", w)
			}
			waitForAuditAnnotation(t, `"validate.driftgate.io/grant":"`+grant.Name+`"`)
			waitForAuditAnnotation(t, `"validate.driftgate.io/ticket":"INC-4242"`)
		})
	}
}

func TestBreakGlassDryRunAnsweredLikeRealOne(t *testing.T) {
	ns := namespace(t, nil)
	serviceAccount(t, "argocd").create(t, deployment(ns, "checkout", nil, argoOwned(ns)))
	grant := activeGrant(t, "alice", ns, "deployments.apps", time.Hour)
	alice := person(t, "alice")
	d := alice.getDeployment(t, ns, "checkout")
	d.Spec.Replicas = ptr.To[int32](3)
	wantAllowed(t, "dry-run update", alice.Client.Update(context.Background(), d, client.DryRunAll))
	if w := alice.Warnings.All(); !strings.Contains(w, "under grant "+grant.Name) {
		t.Errorf("warnings = %q, want the break-glass warning", w)
	}
	if got := alice.getDeployment(t, ns, "checkout"); *got.Spec.Replicas != 2 {
		t.Errorf("a dry-run changed replicas to %d", *got.Spec.Replicas)
	}
}

// activeGrant has user request a grant and sets its status as the grant controller would (as
// driftgate's service account: no one else may), then waits until driftgate's cache holds it.
func activeGrant(t *testing.T, user, ns, resource string, expiresIn time.Duration) *v1alpha1.BreakGlassGrant {
	t.Helper()
	ctx := context.Background()
	now := metav1.Now()
	g := &v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "inc-4242-" + user + "-"},
		Spec: v1alpha1.BreakGlassGrantSpec{
			Requester: user, Reason: "test", Ticket: "INC-4242",
			Scope:    v1alpha1.GrantScope{Namespaces: []string{ns}, Resources: []string{resource}},
			Duration: metav1.Duration{Duration: time.Hour},
		},
	}
	person(t, user).create(t, g)
	self := serviceAccount(t, testenv.Self)
	t.Cleanup(func() { _ = admin(t).Client.Delete(context.Background(), g) })
	g.Status = v1alpha1.BreakGlassGrantStatus{
		Phase: v1alpha1.GrantActive, ActivatedAt: &now, ExpiresAt: &metav1.Time{Time: now.Add(expiresIn)},
	}
	if err := self.Client.Status().Update(ctx, g); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "grant "+g.Name+" in driftgate's cache", func() bool {
		var cached v1alpha1.BreakGlassGrant
		err := cluster.Driftgate.Cache.Get(ctx, client.ObjectKeyFromObject(g), &cached)
		return err == nil && cached.Status.Phase == v1alpha1.GrantActive
	})
	return g
}

// editsIn lists the records of writes to objects in ns.
func editsIn(t *testing.T, ns string) []v1alpha1.BreakGlassEdit {
	t.Helper()
	var list v1alpha1.BreakGlassEditList
	if err := admin(t).Client.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	var out []v1alpha1.BreakGlassEdit
	for _, e := range list.Items {
		if e.Spec.Object.Namespace == ns {
			out = append(out, e)
		}
	}
	return out
}

func waitForAuditAnnotation(t *testing.T, fragment string) {
	t.Helper()
	testutil.WaitFor(t, "audit log entry with "+fragment, func() bool {
		raw, err := os.ReadFile(cluster.AuditLog)
		return err == nil && strings.Contains(string(raw), fragment)
	})
}
