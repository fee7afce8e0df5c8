package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

// diffOptions are the flags of `driftgate diff`.
type diffOptions struct {
	desired      string
	live         string
	cluster      bool
	output       string
	ignoreFields []string
	namespace    string
	kube         kubeFlags
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
  driftgate diff --desired ./deploy --live live.yaml -o json --ignore-fields 'spec.replicas'
  driftgate diff --desired ./deploy --cluster --context prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDiff(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.desired, "desired", "", "manifests from Git: a file or a directory (required)")
	f.StringVar(&o.live, "live", "", "live objects: a file or a directory")
	f.BoolVar(&o.cluster, "cluster", false, "diff against the live objects of the cluster of the current kubeconfig")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringArrayVar(&o.ignoreFields, "ignore-fields", nil, "comma-separated field paths to skip on every object (repeatable)")
	f.StringVar(&o.namespace, "namespace", "default", "namespace for namespaced objects whose manifest omits one")
	o.kube.addFlags(f)
	return cmd
}

func (o *diffOptions) validate() error {
	switch {
	case o.output != "text" && o.output != "json":
		return fmt.Errorf("unknown output format %q: use -o text or -o json", o.output)
	case o.desired == "":
		return errors.New("--desired is required: the manifests from Git (a file or a directory)")
	case o.cluster && o.live != "":
		return errors.New("--live and --cluster both given: compare with saved objects (--live) or with the cluster (--cluster)")
	case !o.cluster && o.live == "":
		return errors.New("--live or --cluster is required: the live objects (a file or a directory), or the cluster")
	}
	return nil
}

func runDiff(ctx context.Context, out, errOut io.Writer, o *diffOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	differ, err := newDiffer(o.namespace, o.ignoreFields, "")
	if err != nil {
		return err
	}
	desired, err := audit.Load(o.desired)
	if err != nil {
		return fmt.Errorf("loading --desired: %w", err)
	}
	var liveObjs []audit.Object
	if o.cluster {
		liveObjs, err = readCluster(ctx, errOut, &o.kube, desired, o.namespace)
	} else if liveObjs, err = audit.Load(o.live); err != nil {
		err = fmt.Errorf("loading --live: %w", err)
	}
	if err != nil {
		return err
	}
	return diffAndReport(out, differ, desired, liveObjs, o.output, true)
}

// newDiffer is the differ of diff and audit: default options, a namespace and --ignore-fields.
func newDiffer(namespace string, ignoreFields []string, revision string) (*audit.Differ, error) {
	opts := audit.DefaultOptions()
	opts.Namespace = namespace
	opts.Revision = revision
	for _, s := range ignoreFields {
		opts.IgnoreFields = append(opts.IgnoreFields, audit.SplitPaths(s)...)
	}
	differ, err := audit.New(opts)
	if err != nil {
		return nil, fmt.Errorf("--ignore-fields: %w", err)
	}
	return differ, nil
}

// diffAndReport writes the report; with failOnDrift, drift exits 1.
func diffAndReport(out io.Writer, differ *audit.Differ, desired, liveObjs []audit.Object, format string, failOnDrift bool) error {
	report, err := differ.Diff(desired, liveObjs)
	if err != nil {
		return fmt.Errorf("diffing: %w", err)
	}
	if err := writeReport(out, report, format); err != nil {
		return err
	}
	if failOnDrift && report.HasDrift() {
		return exitCode(1)
	}
	return nil
}

// readCluster lists the live objects of the kinds desired declares; kinds the cluster does not
// serve are said on errOut (their objects are reported missing).
func readCluster(ctx context.Context, errOut io.Writer, kube *kubeFlags, desired []audit.Object, namespace string) ([]audit.Object, error) {
	dyn, mapper, err := kube.dynamic()
	if err != nil {
		return nil, err
	}
	objs, notes, err := live.Reader{Client: dyn, Mapper: mapper}.Read(ctx, desired, namespace)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster: %w", err)
	}
	for _, n := range notes {
		fmt.Fprintln(errOut, "note:", n)
	}
	return objs, nil
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
