package breakglass

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// Ops are the grant operations people run (`driftgate breakglass ...`), as the identity of
// Client. User is that identity as the API server sees it (see WhoAmI); the webhook checks it
// again, so a wrong User is refused, never trusted.
type Ops struct {
	Client client.Client
	User   string
	Clock  clock.PassiveClock
}

// WhoAmI asks the API server who the client's credentials (and --as) authenticate as.
func WhoAmI(ctx context.Context, c client.Client) (string, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return "", fmt.Errorf("asking the API server who you are: %w", err)
	}
	return review.Status.UserInfo.Username, nil
}

// Request is what a person asks for.
type Request struct {
	Namespaces []string
	Resources  []string
	Duration   time.Duration
	Ticket     string
	Reason     string
}

// Request creates a Pending grant for o.User.
func (o *Ops) Request(ctx context.Context, r Request) (*v1alpha1.BreakGlassGrant, error) {
	g := &v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{GenerateName: GrantNamePrefix(r.Ticket, o.User)},
		Spec: v1alpha1.BreakGlassGrantSpec{
			Requester: o.User, Reason: r.Reason, Ticket: r.Ticket,
			Scope:    v1alpha1.GrantScope{Namespaces: r.Namespaces, Resources: r.Resources},
			Duration: metav1.Duration{Duration: r.Duration},
		},
	}
	if err := o.Client.Create(ctx, g); err != nil {
		return nil, fmt.Errorf("requesting a grant: %w", err)
	}
	return g, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9-]+`)

// GrantNamePrefix is the generateName of a grant: "inc-4242-alice-".
func GrantNamePrefix(ticket, user string) string {
	if i := strings.LastIndex(user, ":"); i >= 0 { // service accounts: their name
		user = user[i+1:]
	}
	s := strings.Trim(nonName.ReplaceAllString(strings.ToLower(ticket+"-"+user), "-"), "-")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "-")
	}
	if s == "" {
		s = "grant"
	}
	return s + "-"
}

// Approve adds o.User's approval.
func (o *Ops) Approve(ctx context.Context, name, comment string) (*v1alpha1.BreakGlassGrant, error) {
	return o.change(ctx, name, "approving", func(g *v1alpha1.BreakGlassGrant) error {
		if slices.ContainsFunc(g.Spec.Approvals, func(a v1alpha1.Approval) bool { return a.User == o.User }) {
			return fmt.Errorf("you (%s) have already approved grant %s", o.User, name)
		}
		g.Spec.Approvals = append(g.Spec.Approvals, v1alpha1.Approval{User: o.User, Time: o.now(), Comment: comment})
		return nil
	})
}

// Deny refuses a pending grant.
func (o *Ops) Deny(ctx context.Context, name, reason string) (*v1alpha1.BreakGlassGrant, error) {
	return o.change(ctx, name, "denying", func(g *v1alpha1.BreakGlassGrant) error {
		g.Spec.Denial = &v1alpha1.Denial{User: o.User, Time: o.now(), Reason: reason}
		return nil
	})
}

// Revoke ends a pending or active grant.
func (o *Ops) Revoke(ctx context.Context, name, reason string) (*v1alpha1.BreakGlassGrant, error) {
	return o.change(ctx, name, "revoking", func(g *v1alpha1.BreakGlassGrant) error {
		if g.Spec.Revocation != nil {
			return fmt.Errorf("grant %s was already revoked by %s", name, g.Spec.Revocation.User)
		}
		g.Spec.Revocation = &v1alpha1.Revocation{User: o.User, Time: o.now(), Reason: reason}
		return nil
	})
}

func (o *Ops) change(ctx context.Context, name, what string, mutate func(*v1alpha1.BreakGlassGrant) error) (*v1alpha1.BreakGlassGrant, error) {
	g := &v1alpha1.BreakGlassGrant{}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := o.Client.Get(ctx, client.ObjectKey{Name: name}, g); err != nil {
			return err
		}
		if err := mutate(g); err != nil {
			return err
		}
		return o.Client.Update(ctx, g)
	})
	if err != nil {
		return nil, fmt.Errorf("%s grant %s: %w", what, name, err)
	}
	return g, nil
}

func (o *Ops) now() metav1.Time { return metav1.NewTime(o.Clock.Now().UTC().Truncate(time.Second)) }

// Edits lists the records of writes made under grant, oldest first.
func Edits(ctx context.Context, c client.Reader, grant string) ([]v1alpha1.BreakGlassEdit, error) {
	var list v1alpha1.BreakGlassEditList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing break-glass edits: %w", err)
	}
	var out []v1alpha1.BreakGlassEdit
	for _, e := range list.Items {
		if e.Spec.Grant == grant {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b v1alpha1.BreakGlassEdit) int { return a.Spec.Time.Compare(b.Spec.Time.Time) })
	return out, nil
}
