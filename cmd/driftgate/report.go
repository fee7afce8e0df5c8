package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/report"
)

// reportOptions are the flags of driftgate report.
type reportOptions struct {
	ticket, output, since, until string
	allOpen                      bool
}

func newReportCommand() *cobra.Command {
	var k kubeFlags
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report",
		Short: "The incident-closure report of a break-glass ticket, with its verdict",
		Long: `report lists the break-glass grants of a ticket (requester, approvers, reason, scope, window,
how each ended), every write recorded under them with its backport state, other drift the Git
audit sees on the same objects, and a verdict: ready to close only when every edit is Backported
or Reverted by a person. Open edits come first, each with the pull request or the live revert that
closes it; then edits a GitOps controller's self-heal undid (REVIEW BEFORE CLOSING: confirm going
back to Git is intended, or backport the fix).

Exit status: 0 ready to close, 1 not ready or to review, 2 error. --all-open reports every ticket that still
has an edit to backport or revert (writes without a ticket, let through by warn mode, are listed
under "(none)").`,
		Example: `  driftgate report --ticket INC-4242
  driftgate report --ticket INC-4242 -o html > INC-4242.html
  driftgate report --all-open --since 168h -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(cmd, o, func() (client.Reader, error) { return k.client() })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ticket, "ticket", "", "the incident ticket, e.g. INC-4242")
	f.BoolVar(&o.allOpen, "all-open", false, "report every ticket with an edit still to backport or revert")
	f.StringVarP(&o.output, "output", "o", "markdown", "markdown, json or html")
	f.StringVar(&o.since, "since", "", "only edits made and grants alive from this time: RFC3339, or a duration ago such as 168h")
	f.StringVar(&o.until, "until", "", "only edits made and grants alive until this time: RFC3339, or a duration ago")
	k.addFlags(f)
	return cmd
}

// runReport prints the report from the records connect's client reads; a report not ready to
// close ends with exit status 1.
func runReport(cmd *cobra.Command, o reportOptions, connect func() (client.Reader, error)) error {
	format, in, err := o.parse(time.Now())
	if err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if err := loadRecords(cmd.Context(), c, &in); err != nil {
		return err
	}
	ready, err := writeReports(cmd, format, in, o.allOpen)
	if err != nil {
		return err
	}
	if !ready {
		return exitCode(1)
	}
	return nil
}

// parse checks the flags and turns them into the format and the report's input.
func (o reportOptions) parse(now time.Time) (report.Format, report.Input, error) {
	in := report.Input{Ticket: o.ticket, Now: now}
	switch {
	case o.ticket == "" && !o.allOpen:
		return "", in, errors.New("name the ticket with --ticket ID, or use --all-open for every ticket with open edits")
	case o.ticket != "" && o.allOpen:
		return "", in, errors.New("--ticket and --all-open cannot be used together: pick one")
	}
	format, err := report.ParseFormat(o.output)
	if err != nil {
		return "", in, err
	}
	if in.Since, err = optionalTime("--since", o.since, now); err != nil {
		return "", in, err
	}
	if in.Until, err = optionalTime("--until", o.until, now); err != nil {
		return "", in, err
	}
	if !in.Since.IsZero() && !in.Until.IsZero() && in.Since.After(in.Until) {
		return "", in, fmt.Errorf("--since %s is after --until %s", in.Since.Format(time.RFC3339), in.Until.Format(time.RFC3339))
	}
	return format, in, nil
}

func optionalTime(flag, value string, now time.Time) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := report.ParseTime(value, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", flag, err)
	}
	return t, nil
}

// loadRecords lists the grants, edits and Git sources. Git sources that cannot be read (RBAC,
// API not installed) leave other drift unknown rather than failing the report.
func loadRecords(ctx context.Context, c client.Reader, in *report.Input) error {
	var grants v1alpha1.BreakGlassGrantList
	if err := c.List(ctx, &grants); err != nil {
		return listError("break-glass grants", err)
	}
	var edits v1alpha1.BreakGlassEditList
	if err := c.List(ctx, &edits); err != nil {
		return listError("break-glass edits", err)
	}
	in.Grants, in.Edits = grants.Items, edits.Items
	var sources v1alpha1.GitSourceList
	err := c.List(ctx, &sources)
	switch {
	case err == nil:
		in.Sources = sources.Items
	case apierrors.IsForbidden(err):
		in.SourcesUnavailable = "listing GitSources is forbidden for this identity"
	case meta.IsNoMatchError(err) || apierrors.IsNotFound(err):
		in.SourcesUnavailable = "the GitSource API is not installed in this cluster"
	default:
		return listError("GitSources", err)
	}
	return nil
}

func listError(what string, err error) error {
	if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
		return fmt.Errorf("listing %s: the API is not installed in this cluster; is driftgate installed? (%w)", what, err)
	}
	return fmt.Errorf("listing %s: %w", what, err)
}

// writeReports builds and prints the report(s); it reports whether everything is ready to close.
func writeReports(cmd *cobra.Command, format report.Format, in report.Input, allOpen bool) (bool, error) {
	out := cmd.OutOrStdout()
	if allOpen {
		rs := report.BuildOpen(in)
		return len(rs) == 0, report.WriteAll(out, format, rs)
	}
	r, err := report.Build(in)
	if err != nil {
		return false, err
	}
	return r.Verdict.Ready, report.Write(out, format, r)
}
