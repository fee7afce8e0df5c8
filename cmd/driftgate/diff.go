package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/audit"
)

// diffOptions are the flags of `driftgate diff`.
type diffOptions struct {
	desired      string
	live         string
	cluster      bool
	output       string
	ignoreFields []string
	namespace    string
}

func newDiffCommand() *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff --desired PATH --live PATH",
		Short: "Show drift between the manifests in Git and live objects, offline",
		Long: `Compares the manifests in Git (--desired) with the live objects (--live, e.g. saved with
kubectl get -o yaml --show-managed-fields). Both take a file or a directory of *.yaml, *.yml and
*.json files; files may hold several YAML documents, JSON, or a kind: List.

A field has drifted when Git sets it and the live value differs semantically, when a person's
tool (kubectl*) added it live, or when Git dropped it and no sync has removed it yet. Secret
values are never printed. Exit 0 when every object is in sync, 1 on drift, 2 on error.`,
		Example: `  driftgate diff --desired ./deploy --live live.yaml
  driftgate diff --desired ./deploy --live live.yaml -o json --ignore-fields 'spec.replicas'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDiff(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.desired, "desired", "", "manifests from Git: a file or a directory (required)")
	f.StringVar(&o.live, "live", "", "live objects: a file or a directory")
	f.BoolVar(&o.cluster, "cluster", false, "diff against the cluster of the current kubeconfig (not available yet)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringArrayVar(&o.ignoreFields, "ignore-fields", nil, "comma-separated field paths to skip on every object (repeatable)")
	f.StringVar(&o.namespace, "namespace", "default", "namespace for namespaced objects whose manifest omits one")
	return cmd
}

func (o *diffOptions) validate() error {
	switch {
	case o.output != "text" && o.output != "json":
		return fmt.Errorf("unknown output format %q: use -o text or -o json", o.output)
	case o.desired == "":
		return errors.New("--desired is required: the manifests from Git (a file or a directory)")
	case o.cluster:
		return errors.New("--cluster is not available yet: save the live objects with kubectl get -o yaml --show-managed-fields and pass them with --live")
	case o.live == "":
		return errors.New("--live is required: the live objects (a file or a directory)")
	}
	return nil
}

func runDiff(out io.Writer, o *diffOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	opts := audit.DefaultOptions()
	opts.Namespace = o.namespace
	for _, s := range o.ignoreFields {
		opts.IgnoreFields = append(opts.IgnoreFields, audit.SplitPaths(s)...)
	}
	differ, err := audit.New(opts)
	if err != nil {
		return fmt.Errorf("--ignore-fields: %w", err)
	}
	desired, err := audit.Load(o.desired)
	if err != nil {
		return fmt.Errorf("loading --desired: %w", err)
	}
	live, err := audit.Load(o.live)
	if err != nil {
		return fmt.Errorf("loading --live: %w", err)
	}
	report, err := differ.Diff(desired, live)
	if err != nil {
		return fmt.Errorf("diffing: %w", err)
	}
	if err := writeReport(out, report, o.output); err != nil {
		return err
	}
	if report.HasDrift() {
		return exitCode(1)
	}
	return nil
}

func writeReport(out io.Writer, r *audit.Report, format string) error {
	if format == "json" {
		return audit.WriteJSON(out, r)
	}
	return audit.WriteText(out, r, audit.TextStyle{Color: isTerminal(out)})
}

// isTerminal reports whether out is a terminal (and NO_COLOR is unset): colour only then.
func isTerminal(out io.Writer) bool {
	f, ok := out.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
