package breakglass_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/config"
)

// TestReconcileConflicts: a write that loses an optimistic-lock conflict (the grant's status
// patch, or its Role) is retried soon without an error, so controller-runtime does not log it as
// a Reconciler error; other errors are returned.
func TestReconcileConflicts(t *testing.T) {
	grants := v1alpha1.GroupVersion.WithResource("breakglassgrants").GroupResource()
	conflict := apierrors.NewConflict(grants, "inc-1-alice", errors.New("the object has been modified"))
	unavailable := apierrors.NewServiceUnavailable("etcd is down")
	statusPatchFails := func(err error) interceptor.Funcs {
		return interceptor.Funcs{SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
			return err
		}}
	}
	roleCreateFails := func(err error) interceptor.Funcs {
		return interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*rbacv1.Role); ok {
				return err
			}
			return c.Create(ctx, obj, opts...)
		}}
	}
	tests := []struct {
		name    string
		grant   *v1alpha1.BreakGlassGrant
		funcs   interceptor.Funcs
		want    ctrl.Result
		wantErr error
	}{
		{"status written", grant(nil), interceptor.Funcs{}, ctrl.Result{RequeueAfter: time.Hour}, nil},
		{"status patch conflict", grant(nil), statusPatchFails(conflict), ctrl.Result{RequeueAfter: breakglass.ConflictRetry}, nil},
		{"status patch fails otherwise", grant(nil), statusPatchFails(unavailable), ctrl.Result{}, unavailable},
		{"Role conflict", grant(approved("bob")), roleCreateFails(conflict), ctrl.Result{RequeueAfter: breakglass.ConflictRetry}, nil},
		{"Role write fails otherwise", grant(approved("bob")), roleCreateFails(unavailable), ctrl.Result{}, unavailable},
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{v1alpha1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "edit"},
				Rules: []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "update"}}}}
			c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(tt.grant, edit).
				WithStatusSubresource(&v1alpha1.BreakGlassGrant{}).WithInterceptorFuncs(tt.funcs).Build()
			r := &breakglass.Controller{Client: c, Config: config.Default().BreakGlass,
				Clock: clocktesting.NewFakePassiveClock(t0), Events: events.NewFakeRecorder(10)}
			got, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Name: tt.grant.Name}})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Reconcile error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Reconcile result (-want +got):\n%s", diff)
			}
		})
	}
}
