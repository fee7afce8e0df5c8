package breakglass_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/config"
)

func rules(t *testing.T) *breakglass.Rules {
	t.Helper()
	cfg := config.Default()
	cfg.BreakGlass.TicketPattern = `^INC-[0-9]+$`
	r, err := breakglass.NewRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Clock = clocktesting.NewFakePassiveClock(t0.Add(time.Minute))
	return r
}

var (
	alice    = breakglass.Writer{User: "alice", Groups: []string{"system:authenticated"}}
	bob      = breakglass.Writer{User: "bob", Groups: []string{"system:authenticated", "driftgate-approvers"}}
	carol    = breakglass.Writer{User: "carol", Groups: []string{"system:authenticated"}}
	admin    = breakglass.Writer{User: "root", Groups: []string{"system:masters"}}
	self     = breakglass.Writer{User: "system:serviceaccount:driftgate-system:driftgate", Credential: "JTI"}
	selfWorn = breakglass.Writer{User: "system:serviceaccount:driftgate-system:driftgate"} // impersonated: no credential
	gc       = breakglass.Writer{User: "system:serviceaccount:kube-system:generic-garbage-collector", Credential: "JTI"}
	gcWorn   = breakglass.Writer{User: "system:serviceaccount:kube-system:generic-garbage-collector"} // impersonated
	approval = func(u string) v1alpha1.Approval { return v1alpha1.Approval{User: u, Time: metav1.Time{Time: t0}} }
)

func TestCheckGrant(t *testing.T) {
	r := rules(t)
	pending := grant(nil)
	pending.Status.Phase = v1alpha1.GrantPending
	with := func(base *v1alpha1.BreakGlassGrant, mutate func(*v1alpha1.BreakGlassGrant)) *v1alpha1.BreakGlassGrant {
		g := base.DeepCopy()
		mutate(g)
		return g
	}
	in := func(p v1alpha1.GrantPhase) func(*v1alpha1.BreakGlassGrant) {
		return func(g *v1alpha1.BreakGlassGrant) { g.Status.Phase = p }
	}
	expired, revoked := with(pending, in(v1alpha1.GrantExpired)), with(pending, in(v1alpha1.GrantRevoked))
	revoked.Spec.Revocation = &v1alpha1.Revocation{User: "alice", Time: metav1.Time{Time: t0}}
	denied := with(pending, in(v1alpha1.GrantDenied))
	denied.Spec.Denial = &v1alpha1.Denial{User: "bob", Reason: "no", Time: metav1.Time{Time: t0}}
	// deleting is a grant being deleted in the foreground: the garbage collector removes the
	// foregroundDeletion finalizer once the dependents are gone.
	deleting := func(g *v1alpha1.BreakGlassGrant) {
		g.DeletionTimestamp = at(time.Minute)
		g.Finalizers = []string{metav1.FinalizerDeleteDependents}
	}
	finalizer := func(fs ...string) func(*v1alpha1.BreakGlassGrant) {
		return func(g *v1alpha1.BreakGlassGrant) { g.Finalizers = fs }
	}
	label := func(g *v1alpha1.BreakGlassGrant) { g.Labels = map[string]string{"team": "payments"} }
	owner := func(g *v1alpha1.BreakGlassGrant) {
		g.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "u"}}
	}
	// bookkeeping is what the API server changes on any write: it leaves a terminal grant as it is.
	bookkeeping := func(g *v1alpha1.BreakGlassGrant) {
		g.ResourceVersion, g.Generation = "42", 7
		g.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}}
	}
	tests := []struct {
		name     string
		op       breakglass.Operation
		sub      string
		w        breakglass.Writer
		old, obj *v1alpha1.BreakGlassGrant
		want     string // "" allows
	}{
		{"request", breakglass.Create, "", alice, nil, grant(nil), ""},
		{"request for someone else", breakglass.Create, "", carol, nil, grant(nil), `spec.requester "alice"`},
		{"request carrying an approval", breakglass.Create, "", alice, nil, with(grant(nil), approved("bob")), "carries no approvals"},
		{"ticket pattern", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Ticket = "x" }), "does not match"},
		{"zero duration", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Duration.Duration = 0 }), "must be more than 0"},
		{"wildcard resource", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Scope.Resources = []string{"*"} }), "is not a resource.group"},
		{"driftgate's namespace", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Scope.Namespaces = []string{"driftgate-system"} }), "cannot be covered"},
		{"wildcard namespace", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Scope.Namespaces = []string{"*"} }), "there are no wildcards"},
		{"a GitOps identity's namespace", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) { g.Spec.Scope.Namespaces = []string{"flux-system"} }), "holds a GitOps or driftgate service account"},
		{"RBAC objects", breakglass.Create, "", alice, nil, with(grant(nil), func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Scope.Resources = []string{"rolebindings.rbac.authorization.k8s.io"}
		}), "never hands over"},
		{"approver approves", breakglass.Update, "", bob, pending, with(pending, approved("bob")), ""},
		{"approval in someone else's name", breakglass.Update, "", bob, pending, with(pending, approved("dave")), `you are "bob", not "dave"`},
		{"self-approval", breakglass.Update, "", alice, pending, with(pending, approved("alice")), "no one approves their own grant"},
		{"non-approver", breakglass.Update, "", carol, pending, with(pending, approved("carol")), "not in an approver group"},
		{"backdated approval", breakglass.Update, "", bob, pending, with(pending, func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Approvals = []v1alpha1.Approval{{User: "bob", Time: metav1.Time{Time: t0.Add(-time.Hour)}}}
		}), "is not now"},
		{"approval after the pending timeout", breakglass.Update, "", bob, with(pending, func(g *v1alpha1.BreakGlassGrant) {
			g.CreationTimestamp = metav1.Time{Time: t0.Add(-2 * time.Hour)}
		}), with(pending, func(g *v1alpha1.BreakGlassGrant) {
			g.CreationTimestamp = metav1.Time{Time: t0.Add(-2 * time.Hour)}
			approved("bob")(g)
		}), "waited longer than 1h0m0s"},
		{"adding a finalizer", breakglass.Update, "", alice, pending, with(pending, func(g *v1alpha1.BreakGlassGrant) { g.Finalizers = []string{"x"} }), "finalizers"},
		{"approving twice", breakglass.Update, "", bob, with(pending, approved("bob")), with(pending, approved("bob", "bob")), "already approved"},
		{"removing an approval", breakglass.Update, "", bob, with(pending, approved("bob")), pending, "never changed or removed"},
		{"approving an active grant", breakglass.Update, "", bob, grant(activeUntil(time.Hour)), with(grant(activeUntil(time.Hour)), func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Approvals = append(g.Spec.Approvals, approval("erin"))
		}), "only a pending grant is approved"},
		{"changing the scope", breakglass.Update, "", alice, pending, with(pending, func(g *v1alpha1.BreakGlassGrant) { g.Spec.Scope.Namespaces = []string{"prod", "dev"} }), "immutable"},
		{"denial by approver", breakglass.Update, "", bob, pending, with(pending, func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Denial = &v1alpha1.Denial{User: "bob", Reason: "no", Time: metav1.Time{Time: t0}}
		}), ""},
		{"denial by requester", breakglass.Update, "", alice, pending, with(pending, func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Denial = &v1alpha1.Denial{User: "alice", Reason: "no", Time: metav1.Time{Time: t0}}
		}), "not in an approver group"},
		{"revocation by requester", breakglass.Update, "", alice, grant(activeUntil(time.Hour)), with(grant(activeUntil(time.Hour)), func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Revocation = &v1alpha1.Revocation{User: "alice", Time: metav1.Time{Time: t0}}
		}), ""},
		{"revocation by admin", breakglass.Update, "", admin, grant(activeUntil(time.Hour)), with(grant(activeUntil(time.Hour)), func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Revocation = &v1alpha1.Revocation{User: "root", Time: metav1.Time{Time: t0}}
		}), ""},
		{"revocation by a stranger", breakglass.Update, "", carol, grant(activeUntil(time.Hour)), with(grant(activeUntil(time.Hour)), func(g *v1alpha1.BreakGlassGrant) {
			g.Spec.Revocation = &v1alpha1.Revocation{User: "carol", Time: metav1.Time{Time: t0}}
		}), "carol is none of them"},
		{"terminal grants never change", breakglass.Update, "", admin, with(pending, func(g *v1alpha1.BreakGlassGrant) { g.Status.Phase = v1alpha1.GrantExpired }),
			with(pending, func(g *v1alpha1.BreakGlassGrant) {
				g.Status.Phase = v1alpha1.GrantExpired
				g.Spec.Revocation = &v1alpha1.Revocation{User: "root", Time: metav1.Time{Time: t0}}
			}), "never changes again"},
		// Terminal grants never change, metadata included, for anyone but driftgate and the
		// garbage collector finishing a deletion.
		{"an approver adds a finalizer to an expired grant", breakglass.Update, "", bob, expired, with(expired, finalizer("example.com/hold")), "never changes again"},
		{"an admin adds a finalizer to a revoked grant", breakglass.Update, "", admin, revoked, with(revoked, finalizer("example.com/hold")), "never changes again"},
		{"the requester adds a finalizer to a denied grant", breakglass.Update, "", alice, denied, with(denied, finalizer("example.com/hold")), "never changes again"},
		{"a label on an expired grant", breakglass.Update, "", bob, expired, with(expired, label), "never changes again"},
		{"an annotation on a denied grant", breakglass.Update, "", admin, denied, with(denied, func(g *v1alpha1.BreakGlassGrant) {
			g.Annotations = map[string]string{"note": "fine"}
		}), "never changes again"},
		{"an owner reference on a revoked grant", breakglass.Update, "", alice, revoked, with(revoked, owner), "never changes again"},
		{"removing a label from an expired grant", breakglass.Update, "", admin, with(expired, label), expired, "never changes again"},
		{"a person removes a finalizer from an expired grant being deleted", breakglass.Update, "", admin, with(expired, deleting), with(with(expired, deleting), finalizer()), "never changes again"},
		{"an unchanged expired grant", breakglass.Update, "", bob, expired, with(expired, bookkeeping), ""},
		{"driftgate labels an expired grant", breakglass.Update, "", self, expired, with(expired, label), ""},
		{"the garbage collector removes a finalizer from an expired grant being deleted", breakglass.Update, "", gc, with(expired, deleting), with(with(expired, deleting), finalizer()), ""},
		{"the garbage collector removes a finalizer from an active grant being deleted", breakglass.Update, "", gc,
			with(grant(activeUntil(time.Hour)), deleting), with(with(grant(activeUntil(time.Hour)), deleting), finalizer()), ""},
		{"the garbage collector's name impersonated removes a finalizer", breakglass.Update, "", gcWorn, with(expired, deleting), with(with(expired, deleting), finalizer()), "never changes again"},
		{"the garbage collector adds a finalizer", breakglass.Update, "", gc, with(expired, deleting),
			with(with(expired, deleting), finalizer(metav1.FinalizerDeleteDependents, "example.com/hold")), "never changes again"},
		{"the garbage collector replaces a finalizer", breakglass.Update, "", gc, with(expired, deleting),
			with(with(expired, deleting), finalizer("example.com/hold")), "never changes again"},
		{"the garbage collector removes a finalizer and labels", breakglass.Update, "", gc, with(expired, deleting),
			with(with(with(expired, deleting), finalizer()), label), "never changes again"},
		{"the garbage collector removes a finalizer from a grant not being deleted", breakglass.Update, "", gc, with(expired, finalizer("example.com/hold")), expired, "never changes again"},
		{"a label on a pending grant", breakglass.Update, "", alice, pending, with(pending, label), ""},
		{"request carrying a finalizer", breakglass.Create, "", alice, nil, with(grant(nil), finalizer("example.com/hold")), "no finalizers or owner references"},
		{"request carrying an owner reference", breakglass.Create, "", alice, nil, with(grant(nil), owner), "no finalizers or owner references"},
		{"status by a person", breakglass.Update, "status", admin, pending, pending, "only driftgate writes the status"},
		{"status by driftgate", breakglass.Update, "status", self, pending, pending, ""},
		{"status by driftgate's name impersonated", breakglass.Update, "status", selfWorn, pending, pending, "only driftgate writes the status"},
		{"deleting an active grant", breakglass.Delete, "", alice, grant(activeUntil(time.Hour)), nil, "revoke it"},
		{"deleting an expired grant", breakglass.Delete, "", alice, with(pending, func(g *v1alpha1.BreakGlassGrant) { g.Status.Phase = v1alpha1.GrantExpired }), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.CheckGrant(tt.op, tt.sub, tt.w, tt.old, tt.obj)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestScopeAgainstConfigAndCluster: an identity namespace the config allows is accepted, and a
// resource the cluster does not serve is refused with what KnownResource says.
func TestScopeAgainstConfigAndCluster(t *testing.T) {
	r := rules(t)
	r.Config.IdentityNamespacesAllowed = []string{"argocd"}
	r.KnownResource = func(group, resource string) error {
		if group == "" && resource == "deployments" {
			return errors.New("did you mean deployments.apps?")
		}
		return nil
	}
	tests := []struct {
		name       string
		namespaces []string
		resources  []string
		want       string
	}{
		{"allowed identity namespace", []string{"argocd"}, []string{"configmaps"}, ""},
		{"resource without its group", []string{"prod"}, []string{"deployments"}, "did you mean deployments.apps?"},
		{"resource with its group", []string{"prod"}, []string{"deployments.apps"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := grant(nil)
			g.Spec.Scope = v1alpha1.GrantScope{Namespaces: tt.namespaces, Resources: tt.resources}
			err := r.CheckGrant(breakglass.Create, "", alice, nil, g)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckEdit(t *testing.T) {
	r := rules(t)
	edit := func(s v1alpha1.BackportState) *v1alpha1.BreakGlassEdit {
		return &v1alpha1.BreakGlassEdit{Status: v1alpha1.BreakGlassEditStatus{Backport: s}}
	}
	tests := []struct {
		name string
		op   breakglass.Operation
		w    breakglass.Writer
		old  *v1alpha1.BreakGlassEdit
		ok   bool
	}{
		{"driftgate creates", breakglass.Create, self, nil, true},
		{"driftgate's name impersonated creates", breakglass.Create, selfWorn, nil, false},
		{"a person creates", breakglass.Create, alice, nil, false},
		{"an admin edits", breakglass.Update, admin, edit(v1alpha1.BackportRequired), false},
		{"deleting an open record", breakglass.Delete, alice, edit(v1alpha1.BackportRequired), false},
		{"deleting a backported record", breakglass.Delete, alice, edit(v1alpha1.Backported), true},
		{"deleting a record that never landed", breakglass.Delete, alice, edit(v1alpha1.NotApplied), true},
		{"an admin deletes an open record", breakglass.Delete, admin, edit(v1alpha1.BackportRequired), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.CheckEdit(tt.op, tt.w, tt.old); (err == nil) != tt.ok {
				t.Errorf("CheckEdit = %v, want allowed=%v", err, tt.ok)
			}
		})
	}
}
