package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
)

func newBreakglassCommand() *cobra.Command {
	var k kubeFlags
	cmd := &cobra.Command{
		Use:     "breakglass",
		Aliases: []string{"bg"},
		Short:   "Request, approve, deny, revoke, list and show break-glass grants",
		Long: `Break-glass grants let a person write GitOps-owned objects in a scope, for a bounded time,
once approved. Every write made under a grant is recorded until it is backported to Git or
reverted. The commands act as the identity of the current kubeconfig (or --as).`,
	}
	k.addFlags(cmd.PersistentFlags())
	cmd.AddCommand(newRequestCommand(&k), newApproveCommand(&k), newDenyCommand(&k), newRevokeCommand(&k),
		newListCommand(&k), newShowCommand(&k))
	return cmd
}

// opsFor connects as the kubeconfig identity and learns who that is.
func opsFor(ctx context.Context, k *kubeFlags) (*breakglass.Ops, error) {
	c, err := k.client()
	if err != nil {
		return nil, err
	}
	user, err := breakglass.WhoAmI(ctx, c)
	if err != nil {
		return nil, err
	}
	return &breakglass.Ops{Client: c, User: user, Clock: clock.RealClock{}}, nil
}

// refused prints a refusal by the API server (driftgate's rules, RBAC) and exits 1; other
// errors are runtime errors (exit 2).
func refused(w io.Writer, err error) error {
	if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
		fmt.Fprintln(w, "refused: "+printable(err.Error()))
		return exitCode(1)
	}
	return err
}

func newRequestCommand(k *kubeFlags) *cobra.Command {
	var r breakglass.Request
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Request a grant for yourself",
		Example: `  driftgate breakglass request --namespace prod --resource deployments.apps --for 1h \
    --ticket INC-123 --reason "checkout pods OOMKilled, raising the memory limit"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if r.Ticket == "" || r.Reason == "" || len(r.Namespaces) == 0 || len(r.Resources) == 0 {
				return errors.New("--namespace, --resource, --ticket and --reason are required")
			}
			o, err := opsFor(cmd.Context(), k)
			if err != nil {
				return err
			}
			g, err := o.Request(cmd.Context(), r)
			if err != nil {
				return refused(cmd.ErrOrStderr(), err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "breakglassgrant/%s requested by %s; an approver runs: driftgate breakglass approve %s\n",
				printable(g.Name), printable(o.User), printable(g.Name))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVarP(&r.Namespaces, "namespace", "n", nil, "namespace to cover (repeatable)")
	f.StringSliceVar(&r.Resources, "resource", nil, "resource to cover as resource.group, e.g. deployments.apps, configmaps (repeatable)")
	f.DurationVar(&r.Duration, "for", time.Hour, "how long the grant lasts once approved")
	f.StringVar(&r.Ticket, "ticket", "", "incident ticket, e.g. INC-123")
	f.StringVar(&r.Reason, "reason", "", "why the change cannot go through Git now")
	return cmd
}

func newApproveCommand(k *kubeFlags) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:     "approve NAME",
		Short:   "Approve someone else's pending grant",
		Example: `  driftgate breakglass approve inc-123-alice-x7k2p --comment "paged in, agreed"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return change(cmd, k, "approved", func(o *breakglass.Ops) (*v1alpha1.BreakGlassGrant, error) {
				return o.Approve(cmd.Context(), args[0], comment)
			})
		},
	}
	cmd.Flags().StringVar(&comment, "comment", "", "note kept with the approval")
	return cmd
}

func newDenyCommand(k *kubeFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "deny NAME",
		Short:   "Deny a pending grant",
		Example: `  driftgate breakglass deny inc-123-alice-x7k2p --reason "roll back through Git instead"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return errors.New("--reason is required")
			}
			return change(cmd, k, "denied", func(o *breakglass.Ops) (*v1alpha1.BreakGlassGrant, error) {
				return o.Deny(cmd.Context(), args[0], reason)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the grant is denied")
	return cmd
}

func newRevokeCommand(k *kubeFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:     "revoke NAME",
		Short:   "End a pending or active grant now (its requester, an approver or an admin)",
		Example: `  driftgate breakglass revoke inc-123-alice-x7k2p --reason "fixed"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return change(cmd, k, "revoked", func(o *breakglass.Ops) (*v1alpha1.BreakGlassGrant, error) {
				return o.Revoke(cmd.Context(), args[0], reason)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the grant ends early")
	return cmd
}

func change(cmd *cobra.Command, k *kubeFlags, verb string, do func(*breakglass.Ops) (*v1alpha1.BreakGlassGrant, error)) error {
	o, err := opsFor(cmd.Context(), k)
	if err != nil {
		return err
	}
	g, err := do(o)
	if err != nil {
		return refused(cmd.ErrOrStderr(), err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "breakglassgrant/%s %s by %s\n", printable(g.Name), verb, printable(o.User))
	return nil
}
