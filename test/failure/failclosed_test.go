package failure_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
	"github.com/driftgate/driftgate/webhook"
)

// TestDownFailsClosedForOwnedObjectsOnly: with driftgate stopped and failurePolicy Fail, every
// write to a GitOps-owned object is refused, GitOps' own included; writes to unowned objects,
// and to anything in kube-system and driftgate's namespace, go on.
func TestDownFailsClosedForOwnedObjectsOnly(t *testing.T) {
	s := serve(t, serveOptions{})
	ns := ownedNamespace(t)
	admin := cluster.AdminActor(t)
	mustCreate(t, cluster.Person(t, "carol"), configMap(ns, "scratch", nil, "blue"))
	mustCreate(t, admin, configMap("kube-system", "owned-"+ns, fluxLabel(), "blue"))
	mustCreate(t, admin, configMap(cluster.Config.Webhook.Namespace, "owned-"+ns, fluxLabel(), "blue"))
	mustCreate(t, cluster.ServiceAccount(t, testenv.Flux), configMap(ns, "collected", fluxLabel(), "blue"))
	waitEnforced(t, ns, "app")
	s.stop(t)

	carol, flux, gc := cluster.Person(t, "carol"), cluster.ServiceAccount(t, testenv.Flux), cluster.ServiceAccount(t, testenv.GarbageCollector)
	for _, tc := range []struct {
		name  string
		write func() error
		want  string
	}{
		{"a person's write to an owned object", func() error { return setColor(carol, ns, "app", "red") }, webhookFailed},
		{"GitOps' write to an owned object", func() error { return setColor(flux, ns, "app", "green") }, webhookFailed},
		{"claiming an unowned object", func() error { return create(carol, configMap(ns, "claimed", fluxLabel(), "x")) }, webhookFailed},
		// System controllers are left out of the registration: the endpoint controllers copy a
		// Service's markers onto its EndpointSlices, and they must go on working.
		{"a system controller's write to an owned object", func() error {
			return gc.Client.Delete(context.Background(), configMap(ns, "collected", nil, ""))
		}, ""},
		{"a person's write to an unowned object", func() error { return setColor(carol, ns, "scratch", "red") }, ""},
		{"creating an unowned object", func() error { return create(carol, configMap(ns, "new", nil, "x")) }, ""},
		{"deleting an unowned object", func() error { return carol.Client.Delete(context.Background(), configMap(ns, "new", nil, "")) }, ""},
		{"an owned object in kube-system", func() error { return setColor(admin, "kube-system", "owned-"+ns, "red") }, ""},
		{"an owned object in driftgate's namespace", func() error {
			return setColor(admin, cluster.Config.Webhook.Namespace, "owned-"+ns, "red")
		}, ""},
		{"a new namespace", func() error {
			n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "new-"}}
			err := admin.Client.Create(context.Background(), n)
			if err == nil {
				t.Cleanup(func() { _ = admin.Client.Delete(context.Background(), n) })
			}
			return err
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantAnswer(t, tc.name, tc.write(), tc.want) })
	}
}

// TestEmergencyExit: with driftgate down, deleting its ValidatingWebhookConfiguration restores
// writes to owned objects (docs/operations.md, "driftgate is down"); driftgate recreates it, as
// webhook.Configuration makes it, when it comes back, and enforces again.
func TestEmergencyExit(t *testing.T) {
	s := serve(t, serveOptions{})
	ns := ownedNamespace(t)
	waitEnforced(t, ns, "app")
	s.stop(t)
	carol, admin := cluster.Person(t, "carol"), cluster.AdminActor(t)
	wantAnswer(t, "write while driftgate is down", setColor(carol, ns, "app", "red"), webhookFailed)

	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	vwc.Name = cluster.Config.Webhook.ConfigurationName
	if err := admin.Client.Delete(context.Background(), vwc); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "writes restored once the registration is gone", func() bool {
		return setColor(carol, ns, "app", "red") == nil
	})

	back := serve(t, serveOptions{certs: s.certs})
	testutil.WaitFor(t, "driftgate recreating its registration", func() bool {
		return admin.Client.Get(context.Background(), client.ObjectKeyFromObject(vwc), vwc) == nil
	})
	want := webhook.Configuration(cluster.Config, back.certs.ca.CertPEM())
	if diff := cmp.Diff(want.Webhooks, vwc.Webhooks, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("recreated registration differs from webhook.Configuration (-want +got):\n%s", diff)
	}
	waitEnforced(t, ns, "app")
}
