package testenv

import (
	"context"
	"testing"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/testutil"
)

// Ops are the break-glass operations, as the CLI performs them, acting as a.
func (a *Actor) Ops() *breakglass.Ops {
	return &breakglass.Ops{Client: a.Client, User: a.Name, Clock: clock.RealClock{}}
}

// RequestGrant has requester request req; the grant is deleted when the test ends.
func (c *Cluster) RequestGrant(t testing.TB, requester *Actor, req breakglass.Request) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g, err := requester.Ops().Request(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.AdminActor(t).Client.Delete(context.Background(), g) })
	return g
}

// ApprovedGrant has requester request req and approver approve it with note.
func (c *Cluster) ApprovedGrant(t testing.TB, requester, approver *Actor, req breakglass.Request, note string) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := c.RequestGrant(t, requester, req)
	if _, err := approver.Ops().Approve(context.Background(), g.Name, note); err != nil {
		t.Fatal(err)
	}
	return g
}

// WaitCached waits until the in-process driftgate's cache holds the grant in the state cond
// checks, and returns it as cached.
func (c *Cluster) WaitCached(t testing.TB, name, what string, cond func(*v1alpha1.BreakGlassGrant) bool) *v1alpha1.BreakGlassGrant {
	t.Helper()
	g := &v1alpha1.BreakGlassGrant{}
	testutil.WaitFor(t, "grant "+name+" "+what+" in driftgate's cache", func() bool {
		return c.Driftgate.Cache.Get(context.Background(), client.ObjectKey{Name: name}, g) == nil && cond(g)
	})
	return g
}

// Active is the WaitCached condition of an active grant.
func Active(g *v1alpha1.BreakGlassGrant) bool { return g.Status.Phase == v1alpha1.GrantActive }

// Edits lists the records of the writes made under grant.
func (c *Cluster) Edits(t testing.TB, grant string) []v1alpha1.BreakGlassEdit {
	t.Helper()
	list, err := breakglass.Edits(context.Background(), c.AdminActor(t).Client, grant)
	if err != nil {
		t.Fatal(err)
	}
	return list
}
