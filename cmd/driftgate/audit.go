package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/audit/source"
)

// Environment variables with Git credentials for `driftgate audit` (never flags: they would
// land in shell history and process lists).
const (
	envGitUsername = "DRIFTGATE_GIT_USERNAME"
	envGitPassword = "DRIFTGATE_GIT_PASSWORD"
)

// auditOptions are the flags of `driftgate audit`.
type auditOptions struct {
	source, revision, path string
	once, failOnDrift      bool
	interval               time.Duration
	output                 string
	namespace              string
	ignoreFields           []string
	sshKey, knownHosts     string
	remediate, dryRun      bool
	// dryRunSet: --dry-run was given, which means something only with --remediate.
	dryRunSet bool
	kube      kubeFlags
}

func newAuditCommand() *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit --source DIR|GIT-URL",
		Short: "Audit the cluster against the manifests in Git",
		Long: `Fetches the manifests (a Git URL or a local directory), renders plain YAML and kustomizations,
and diffs them against the live objects of the cluster of the current kubeconfig, reporting the
Git revision audited. With --once it audits once and exits; without, it audits every --interval
until interrupted.

HTTPS credentials come from DRIFTGATE_GIT_USERNAME and DRIFTGATE_GIT_PASSWORD (a token alone in
DRIFTGATE_GIT_PASSWORD works for GitHub and GitLab); ssh uses --ssh-key and --known-hosts.

--remediate puts drifted and missing objects back to Git, for sources no GitOps controller
applies: Git's object is applied with server-side apply as field manager driftgate (forcing
ownership of the fields it sets), the fields the audit ignores keep their live values, and
fields a person's tool added that Git does not set are removed. An object Git marks
driftgate.io/remediation: alert is never touched (remediation-blocked), and an object a GitOps
controller owns (an ownership marker, or a GitOps field manager in managedFields) is refused
(remediation-refused): putting it back is that controller's job. Orphans are never deleted.
--dry-run stays the default: without --dry-run=false the applies are server dry runs and nothing
changes.

Exit 0 when the audit ran (and, with --fail-on-drift, found no drift; with --remediate, none
left), 1 on drift with --fail-on-drift, 2 on error (a remediation write that failed included).`,
		Example: `  driftgate audit --source https://github.com/example/fleet --path clusters/prod --once
  driftgate audit --source ./deploy --once -o json --fail-on-drift
  driftgate audit --source ./deploy --once --remediate                  # what would be applied
  driftgate audit --source ./deploy --once --remediate --dry-run=false  # apply Git's state`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.dryRunSet = cmd.Flags().Changed("dry-run")
			return runAudit(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.source, "source", "", "Git URL (https, ssh, file) or local directory (required)")
	f.StringVar(&o.revision, "revision", "", "branch, tag or commit (default: the default branch)")
	f.StringVar(&o.path, "path", "", "directory inside the repository to render")
	f.BoolVar(&o.once, "once", false, "audit once and exit")
	f.DurationVar(&o.interval, "interval", time.Minute, "time between audits without --once")
	f.BoolVar(&o.failOnDrift, "fail-on-drift", false, "exit 1 when anything drifted (for CI gates)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.namespace, "namespace", "default", "namespace for namespaced objects whose manifest omits one")
	f.StringArrayVar(&o.ignoreFields, "ignore-fields", nil, "comma-separated field paths to skip on every object (repeatable)")
	f.StringVar(&o.sshKey, "ssh-key", "", "private key file for ssh URLs")
	f.StringVar(&o.knownHosts, "known-hosts", "", "known_hosts file for ssh URLs")
	f.BoolVar(&o.remediate, "remediate", false, "apply Git's state to drifted and missing objects no GitOps controller owns (server-side apply as driftgate)")
	f.BoolVar(&o.dryRun, "dry-run", true, "with --remediate: server dry runs only, nothing changes (--dry-run=false applies)")
	o.kube.addFlags(f)
	return cmd
}

func (o *auditOptions) validate() error {
	switch {
	case o.source == "":
		return errors.New("--source is required: a Git URL or a local directory")
	case o.output != "text" && o.output != "json":
		return fmt.Errorf("unknown output format %q: use -o text or -o json", o.output)
	case !o.once && o.interval <= 0:
		return fmt.Errorf("--interval %s: must be positive", o.interval)
	case o.dryRunSet && !o.remediate:
		return errors.New("--dry-run is an option of --remediate: without it the audit changes nothing anyway")
	}
	return nil
}

func runAudit(ctx context.Context, out, errOut io.Writer, o *auditOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	spec, err := o.spec()
	if err != nil {
		return err
	}
	fetcher := &source.Fetcher{}
	if o.once {
		return auditOnce(ctx, out, errOut, o, fetcher, spec)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	for {
		if err := auditOnce(ctx, out, errOut, o, fetcher, spec); err != nil && ctx.Err() == nil {
			var code exitCode
			if !errors.As(err, &code) {
				fmt.Fprintln(errOut, "error:", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.interval):
		}
	}
}

func auditOnce(ctx context.Context, out, errOut io.Writer, o *auditOptions, f *source.Fetcher, spec source.Spec) error {
	snap, err := f.Fetch(ctx, spec)
	if err != nil {
		return err
	}
	differ, err := newDiffer(o.namespace, o.ignoreFields, snap.ShortRevision())
	if err != nil {
		return err
	}
	liveObjs, err := readCluster(ctx, errOut, &o.kube, snap.Objects, o.namespace)
	if err != nil {
		return err
	}
	if !o.remediate {
		return diffAndReport(out, differ, snap.Objects, liveObjs, o.output, o.failOnDrift)
	}
	return remediateAndReport(ctx, out, o, differ, snap.Objects, liveObjs)
}

func (o *auditOptions) spec() (source.Spec, error) {
	s := source.Spec{URL: o.source, Revision: o.revision, Path: o.path}
	s.Auth.Username, s.Auth.Password = os.Getenv(envGitUsername), os.Getenv(envGitPassword)
	var err error
	if o.sshKey != "" {
		if s.Auth.SSHPrivateKey, err = os.ReadFile(o.sshKey); err != nil {
			return s, fmt.Errorf("reading --ssh-key: %w", err)
		}
	}
	if o.knownHosts != "" {
		if s.Auth.KnownHosts, err = os.ReadFile(o.knownHosts); err != nil {
			return s, fmt.Errorf("reading --known-hosts: %w", err)
		}
	}
	return s, nil
}
