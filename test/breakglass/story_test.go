package breakglass_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	eventsv1 "k8s.io/api/events/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
)

// TestFullStory: alice requests; her own approval and carol's are refused; bob approves; the
// RoleBinding appears; alice's write is allowed with a warning and recorded; the grant expires,
// the RoleBinding goes, and the next write is denied.
func TestFullStory(t *testing.T) {
	ctx := context.Background()
	ns := cluster.Namespace(t, nil)
	ownedDeployment(t, ns, "checkout")
	alice, bob, carol := cluster.Person(t, "alice"), cluster.Person(t, "bob", approvers), cluster.Person(t, "carol")

	err := setImage(t, alice, ns, "checkout", "registry.example.com/checkout:v1.2.4")
	wantDenied(t, "alice's write before any grant", err, "")

	g := request(t, alice, ns, []string{"deployments.apps"}, 8*time.Second)
	if p := waitPhase(t, g.Name, v1alpha1.GrantPending); roleBindingExists(t, ns, g.Name) {
		t.Fatalf("pending grant %s already has a RoleBinding (phase %s)", g.Name, p.Status.Phase)
	}
	_, err = alice.Ops().Approve(ctx, g.Name, "")
	wantDenied(t, "alice approving her own grant", err, "no one approves their own grant")
	_, err = carol.Ops().Approve(ctx, g.Name, "")
	wantDenied(t, "carol (not an approver) approving", err, "carol is not in an approver group")
	if _, err := bob.Ops().Approve(ctx, g.Name, "looks right"); err != nil {
		t.Fatal(err)
	}

	active := waitPhase(t, g.Name, v1alpha1.GrantActive)
	waitEvent(t, g.Name, breakglass.ReasonApproved)
	if !roleBindingExists(t, ns, g.Name) {
		t.Fatalf("active grant %s has no RoleBinding in %s", g.Name, ns)
	}
	cluster.WaitCached(t, g.Name, "Active", func(g *v1alpha1.BreakGlassGrant) bool { return g.Status.Phase == v1alpha1.GrantActive })
	testutil.WaitFor(t, "alice's RBAC from the grant's RoleBinding", func() bool {
		return setImage(t, alice, ns, "checkout", "registry.example.com/checkout:v1.2.4") == nil
	})
	if w := alice.Warnings.All(); !strings.Contains(w, "under grant "+g.Name+", ticket INC-4242") {
		t.Errorf("warnings = %q, want the grant and ticket named", w)
	}
	checkRecord(t, g.Name, ns)

	expired := waitPhase(t, g.Name, v1alpha1.GrantExpired)
	waitEvent(t, g.Name, breakglass.ReasonExpired)
	if !expired.Status.ExpiresAt.Equal(active.Status.ExpiresAt) {
		t.Errorf("expiresAt moved from %s to %s", active.Status.ExpiresAt, expired.Status.ExpiresAt)
	}
	if roleBindingExists(t, ns, g.Name) {
		t.Errorf("expired grant %s still has its RoleBinding", g.Name)
	}
	err = setImage(t, alice, ns, "checkout", "registry.example.com/checkout:v1.2.5")
	wantDenied(t, "alice's write after expiry", err, "")
}

// waitEvent waits for the event the grant controller emits on a transition of grant.
func waitEvent(t *testing.T, grant, reason string) {
	t.Helper()
	c := cluster.AdminActor(t).Client
	testutil.WaitFor(t, "a "+reason+" event on grant "+grant, func() bool {
		var list eventsv1.EventList
		if err := c.List(context.Background(), &list); err != nil {
			return false
		}
		return slices.ContainsFunc(list.Items, func(e eventsv1.Event) bool {
			return e.Regarding.Kind == "BreakGlassGrant" && e.Regarding.Name == grant && e.Reason == reason
		})
	})
}

func checkRecord(t *testing.T, grant, ns string) {
	t.Helper()
	list := cluster.Edits(t, grant)
	if len(list) != 1 {
		t.Fatalf("grant %s has %d records, want 1", grant, len(list))
	}
	e := list[0]
	want := v1alpha1.BreakGlassEditSpec{
		Grant: grant, Ticket: "INC-4242", User: "alice", Operation: "UPDATE", Mode: "enforce",
		Object: v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: ns, Name: "checkout"},
	}
	got := e.Spec
	got.Time, got.RequestUID, got.Object.UID, got.Object.ResourceVersion, got.Changes = want.Time, "", "", "", nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	var paths []string
	for _, c := range e.Spec.Changes {
		paths = append(paths, c.Path+" "+string(c.Old.Raw)+" -> "+string(c.New.Raw))
	}
	wantPaths := []string{`spec.template.spec.containers[name=app].image "registry.example.com/checkout:v1.2.3" -> "registry.example.com/checkout:v1.2.4"`}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("recorded changes (-want +got):\n%s", diff)
	}
	if e.Spec.RequestUID == "" || e.Spec.Object.UID == "" || e.Spec.Object.ResourceVersion == "" {
		t.Errorf("record lacks the request UID (%q), object UID (%q) or replaced resourceVersion (%q)", e.Spec.RequestUID, e.Spec.Object.UID, e.Spec.Object.ResourceVersion)
	}
	if e.Status.Backport != v1alpha1.BackportRequired {
		t.Errorf("backport = %q, want Required", e.Status.Backport)
	}
}
