package failure_test

import (
	"net/url"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/test/testenv"
)

// TestAPIServerUnreachable: when driftgate cannot reach the API server (the API server still
// reaches driftgate), it goes on deciding from its caches; a write under a grant, which must be
// recorded first, is denied with a retry hint, never allowed unrecorded; once the API server is
// back, the same write goes through and is recorded once.
func TestAPIServerUnreachable(t *testing.T) {
	api, err := url.Parse(cluster.Admin.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, api.Host)
	serve(t, serveOptions{kubeconfig: cluster.ServiceAccountKubeconfig(t, testenv.Self, "https://"+p.addr())})
	ns := ownedNamespace(t)
	waitEnforced(t, ns, "app")
	alice := cluster.Person(t, "alice")
	grant := activeGrant(t, ns)
	testutil.WaitFor(t, "alice's grant in driftgate's cache", func() bool {
		return setColor(alice, ns, "app", "red", client.DryRunAll) == nil
	})

	p.freeze()
	carol, flux := cluster.Person(t, "carol"), cluster.ServiceAccount(t, testenv.Flux)
	wantAnswer(t, "carol without a grant", setColor(carol, ns, "app", "red"), ownedDenial)
	wantAnswer(t, "Flux", setColor(flux, ns, "app", "green"), "")
	err = setColor(alice, ns, "app", "red")
	for _, want := range []string{"could not be written", "retry shortly"} {
		wantAnswer(t, "alice under her grant", err, want)
	}
	p.thaw()

	testutil.WaitFor(t, "alice's write allowed once the API server is back", func() bool {
		return setColor(alice, ns, "app", "red") == nil
	})
	if n := len(cluster.Edits(t, grant.Name)); n != 1 {
		t.Errorf("%d records under the grant, want 1: the allowed write's", n)
	}
}

// activeGrant has alice request a grant for ConfigMaps in ns and bob approve it.
func activeGrant(t *testing.T, ns string) *v1alpha1.BreakGlassGrant {
	t.Helper()
	return cluster.ApprovedGrant(t, cluster.Person(t, "alice"), cluster.Person(t, "bob", approvers), breakglass.Request{
		Namespaces: []string{ns}, Resources: []string{"configmaps"}, Duration: time.Hour,
		Ticket: "INC-7", Reason: "colour is wrong in production"}, "")
}
