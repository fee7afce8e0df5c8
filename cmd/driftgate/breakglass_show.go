package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/breakglass"
)

func newListCommand(k *kubeFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List grants (newest last)",
		Example: "  driftgate breakglass list\n  driftgate breakglass list -o yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := k.client()
			if err != nil {
				return err
			}
			var list v1alpha1.BreakGlassGrantList
			if err := c.List(cmd.Context(), &list); err != nil {
				return fmt.Errorf("listing grants: %w", err)
			}
			slices.SortFunc(list.Items, func(a, b v1alpha1.BreakGlassGrant) int {
				return a.CreationTimestamp.Compare(b.CreationTimestamp.Time)
			})
			list.APIVersion, list.Kind = v1alpha1.GroupVersion.String(), "BreakGlassGrantList"
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, &list)
			}
			return printGrantTable(cmd.OutOrStdout(), list.Items, time.Now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml (default: a table)")
	return cmd
}

func newShowCommand(k *kubeFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a grant: approvals, time left, and the edits made under it",
		Example: "  driftgate breakglass show inc-123-alice-x7k2p",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := k.client()
			if err != nil {
				return err
			}
			g := &v1alpha1.BreakGlassGrant{}
			if err := c.Get(cmd.Context(), clientKey(args[0]), g); err != nil {
				return fmt.Errorf("reading grant %s: %w", args[0], err)
			}
			edits, err := breakglass.Edits(cmd.Context(), c, g.Name)
			if err != nil {
				return err
			}
			if output != "" {
				return printStructured(cmd.OutOrStdout(), output, map[string]any{"grant": g, "edits": edits})
			}
			return printGrant(cmd.OutOrStdout(), g, edits, time.Now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "json or yaml (default: text)")
	return cmd
}

func checkOutput(o string) error {
	if o != "" && o != "json" && o != "yaml" {
		return fmt.Errorf("-o %q: want json or yaml", o)
	}
	return nil
}

func printStructured(w io.Writer, format string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	raw = escapeJSON(raw)
	if format == "yaml" {
		if raw, err = yaml.JSONToYAML(raw); err != nil {
			return err
		}
	} else {
		raw = append(raw, '\n')
	}
	_, err = w.Write(raw)
	return err
}

func printGrantTable(w io.Writer, grants []v1alpha1.BreakGlassGrant, now time.Time) error {
	if len(grants) == 0 {
		_, err := fmt.Fprintln(w, "No break-glass grants found.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREQUESTER\tTICKET\tPHASE\tEXPIRES\tAGE")
	for i := range grants {
		g := &grants[i]
		row(tw, g.Name, g.Spec.Requester, g.Spec.Ticket, phase(g), expires(g, now), duration.HumanDuration(now.Sub(g.CreationTimestamp.Time)))
	}
	return tw.Flush()
}

func phase(g *v1alpha1.BreakGlassGrant) string {
	if g.Status.Phase == "" {
		return string(v1alpha1.GrantPending)
	}
	return string(g.Status.Phase)
}

// expires is "in 42m", "3m ago" or "<none>".
func expires(g *v1alpha1.BreakGlassGrant, now time.Time) string {
	if g.Status.ExpiresAt == nil {
		return "<none>"
	}
	d := g.Status.ExpiresAt.Sub(now)
	if d > 0 {
		return "in " + duration.HumanDuration(d)
	}
	return duration.HumanDuration(-d) + " ago"
}

func printGrant(w io.Writer, g *v1alpha1.BreakGlassGrant, edits []v1alpha1.BreakGlassEdit, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, printable(v)) }
	line("Name", g.Name)
	line("Requester", g.Spec.Requester)
	line("Ticket", g.Spec.Ticket)
	line("Reason", g.Spec.Reason)
	line("Scope", fmt.Sprintf("namespaces %s; resources %s", strings.Join(g.Spec.Scope.Namespaces, ", "), strings.Join(g.Spec.Scope.Resources, ", ")))
	line("Duration", g.Spec.Duration.Duration.String())
	line("Phase", phase(g)+condition(g))
	line("Approvals", approvals(g))
	if g.Status.ActivatedAt != nil {
		line("Activated", g.Status.ActivatedAt.UTC().Format(time.RFC3339))
		line("Expires", g.Status.ExpiresAt.UTC().Format(time.RFC3339)+" ("+timeLeft(g, now)+")")
	}
	if d := g.Spec.Denial; d != nil {
		line("Denied", fmt.Sprintf("by %s at %s: %s", d.User, d.Time.UTC().Format(time.RFC3339), d.Reason))
	}
	if r := g.Spec.Revocation; r != nil {
		line("Revoked", fmt.Sprintf("by %s at %s %s", r.User, r.Time.UTC().Format(time.RFC3339), r.Reason))
	}
	line("Edits", fmt.Sprint(len(edits)))
	if err := tw.Flush(); err != nil {
		return err
	}
	return printEdits(w, edits)
}

func condition(g *v1alpha1.BreakGlassGrant) string {
	for _, c := range g.Status.Conditions {
		if c.Type == v1alpha1.ConditionActive && c.Message != "" {
			return " (" + c.Message + ")"
		}
	}
	return ""
}

func approvals(g *v1alpha1.BreakGlassGrant) string {
	if len(g.Spec.Approvals) == 0 {
		return "none"
	}
	var out []string
	for _, a := range g.Spec.Approvals {
		s := a.User + " at " + a.Time.UTC().Format(time.RFC3339)
		if a.Comment != "" {
			s += ": " + a.Comment
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func timeLeft(g *v1alpha1.BreakGlassGrant, now time.Time) string {
	if !g.ActiveAt(now) {
		return "no time left"
	}
	return duration.HumanDuration(g.Status.ExpiresAt.Sub(now)) + " left"
}

func printEdits(w io.Writer, edits []v1alpha1.BreakGlassEdit) error {
	if len(edits) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "\nTIME\tUSER\tOPERATION\tOBJECT\tCHANGED PATHS\tBACKPORT")
	for _, e := range edits {
		var paths []string
		for _, c := range e.Spec.Changes {
			paths = append(paths, c.Path)
		}
		row(tw, e.Spec.Time.UTC().Format(time.RFC3339), e.Spec.User, e.Spec.Operation,
			e.Annotations[v1alpha1.ObjectAnnotation], orNone(strings.Join(paths, ", ")), string(e.Status.Backport))
	}
	return tw.Flush()
}

// row writes one table row, each cell through printable (so no cell holds a tab or a newline).
func row(tw io.Writer, cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(tw, "\t")
		}
		io.WriteString(tw, printable(c))
	}
	io.WriteString(tw, "\n")
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
