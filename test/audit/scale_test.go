package audit_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
)

// TestScaleEditsResolve: `kubectl scale` under a grant writes the /scale subresource. Its record
// names the Deployment and spec.replicas, so the audit resolves it like any other edit: Reverted
// when live goes back to Git's replicas, Backported when Git takes the new count.
func TestScaleEditsResolve(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	g := syncedDeployment(t, ns, "checkout", "shop/checkout:v1", "256Mi")
	activeGrant(t, ns, "INC-1003")
	alice := cluster.Person(t, "alice")

	scale := func(replicas int32) v1alpha1.BreakGlassEdit {
		t.Helper()
		before := recordNames(t)
		s := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "checkout"}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
		if _, err := alice.CS.AppsV1().Deployments(ns).UpdateScale(ctx, "checkout", s, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("alice scaling to %d: %v", replicas, err)
		}
		var found v1alpha1.BreakGlassEdit
		testutil.WaitFor(t, "the record of the scale", func() bool {
			var list v1alpha1.BreakGlassEditList
			if err := cluster.AdminActor(t).Client.List(ctx, &list); err != nil {
				t.Fatal(err)
			}
			for _, e := range list.Items {
				if !before[e.Name] && e.Spec.Object.Namespace == ns && e.Spec.Object.Name == "checkout" {
					found = e
					return true
				}
			}
			return false
		})
		return found
	}

	up := scale(5)
	if up.Spec.Object.Kind != "Deployment" || up.Spec.Object.APIVersion != "apps/v1" || up.Spec.Object.Subresource != "scale" ||
		len(up.Spec.Changes) != 1 || up.Spec.Changes[0].Path != "spec.replicas" {
		t.Fatalf("record of the scale: object %+v, changes %+v; want the Deployment (apps/v1, via scale) and spec.replicas", up.Spec.Object, up.Spec.Changes)
	}
	waitBackport(t, up.Name, v1alpha1.BackportRequired)
	down := scale(2) // Git's count
	waitBackport(t, up.Name, v1alpha1.Reverted)
	waitBackport(t, down.Name, v1alpha1.Reverted)

	again := scale(4)
	waitBackport(t, again.Name, v1alpha1.BackportRequired)
	withFour := deployment(ns, "checkout", "shop/checkout:v1", "256Mi")
	g.commit(t, "checkout.yaml", replaceReplicas(withFour, 4), "INC-1003: four replicas")
	waitBackport(t, again.Name, v1alpha1.Backported)
}

func replaceReplicas(manifest string, n int) string {
	return strings.Replace(manifest, "replicas: 2", "replicas: "+strconv.Itoa(n), 1)
}
