package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/backport"
)

// backportOptions are the flags of driftgate backport.
type backportOptions struct {
	ticket, branch, message, author string
	push, dryRun                    bool
	repo, forge, output             string
	namespace                       string
	kube                            kubeFlags
	// artifacts downloads Flux artifacts (a HelmRelease's chart); nil: directly.
	artifacts *http.Client
}

func newBackportCommand() *cobra.Command {
	o := &backportOptions{}
	cmd := &cobra.Command{
		Use:   "backport EDIT... | --ticket ID",
		Short: "Write the live values of break-glass edits into the files in Git that define them",
		Long: `backport writes, for each Required break-glass edit, the live value of every open path into the
file in Git that defines it: the manifest of a plain-YAML GitSource, or for a kustomization the
patch whose value wins, else the resource file (the base); for what a Flux HelmRelease renders,
the values key that produces the value (found by rendering the chart again with the key changed:
only that path may change), in the HelmRelease manifest's spec.values, in the chart's values
file in Git that sets it, or, for a chart default, as a new spec.values override. A value no key
produces (the chart's template writes it), or that comes from a valuesFrom ConfigMap or Secret,
is reported with the reason. Only the lines of each value change:
comments, key order and formatting stay; a list item is found by its key; an added key or item
goes where a person would put it. A value no file holds (a kustomize transformer's, a generated
ConfigMap's) is not guessed: the edit is reported with the reason. A Secret's values never leave
the cluster: its edits are listed to do by hand, with the paths only.

The edits of each GitSource are committed on a new branch from the head of the source's revision
(default driftgate/backport-<ticket>), one commit per ticket, the message naming the ticket, the
grant, its requester and approvers, and each path old → new. --push pushes the branch to the
source's repository with the source's credentials (DRIFTGATE_GIT_USERNAME/DRIFTGATE_GIT_PASSWORD,
else the GitSource's secretRef) and prints the pull (merge) request URL for GitHub, GitLab,
Gitea/Forgejo and Bitbucket; no forge API is called. Without --push the branch is created in the
checkout at --repo (the current directory), whose work tree is not touched. --dry-run prints the
diff and changes nothing.

Once the branch is merged and the GitOps controller applies it, the audit marks the edits
Backported with the merge's revision.

Exit status: 0 written (or nothing to do), 1 some edit could not be written (each says why),
2 error (the push rejected included: then nothing is left behind).`,
		Example: `  driftgate backport --ticket INC-4242 --dry-run
  driftgate backport --ticket INC-4242 --push
  driftgate backport inc-4242-alice-x7k2p-6f1d6b1e --repo ~/src/fleet --author "Alice <alice@example.com>"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackport(cmd.Context(), cmd.OutOrStdout(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ticket, "ticket", "", "backport every Required edit of this ticket")
	f.StringVar(&o.branch, "branch", "", "the new branch (default driftgate/backport-<ticket>)")
	f.StringVar(&o.message, "message", "", "text added to each commit message")
	f.StringVar(&o.author, "author", "", `commit author, "Name <email>" (default: user.name and user.email of the Git config)`)
	f.BoolVar(&o.push, "push", false, "push the branch to the source's repository and print the pull request URL")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the diff and change nothing")
	f.StringVar(&o.repo, "repo", ".", "checkout that gets the branch when not pushing")
	f.StringVar(&o.forge, "forge", "", "github, gitlab, gitea or bitbucket, for the pull request URL (default: from the remote's host)")
	f.StringVarP(&o.output, "output", "o", "text", "text or json")
	f.StringVar(&o.namespace, "driftgate-namespace", "driftgate-system", "driftgate's namespace: where a GitSource's secretRef without a namespace is")
	o.kube.addFlags(f)
	return cmd
}

func (o *backportOptions) validate(args []string) error {
	switch {
	case (o.ticket == "") == (len(args) == 0):
		return errors.New("name the edits to backport, or give --ticket ID (not both)")
	case o.output != "text" && o.output != "json":
		return fmt.Errorf("unknown output format %q: use -o text or -o json", o.output)
	case o.push && o.dryRun:
		return errors.New("--push and --dry-run exclude each other")
	case o.forge != "" && !slices.Contains([]string{backport.GitHub, backport.GitLab, backport.Gitea, backport.Bitbucket}, o.forge):
		return fmt.Errorf("unknown --forge %q: use github, gitlab, gitea or bitbucket", o.forge)
	}
	return nil
}

// backportOutput is the JSON of driftgate backport.
type backportOutput struct {
	Sources []*backport.Result    `json:"sources"`
	Edits   []backport.EditResult `json:"edits"`
}

func runBackport(ctx context.Context, out io.Writer, o *backportOptions, args []string) error {
	if err := o.validate(args); err != nil {
		return err
	}
	author, err := o.signature()
	if err != nil && !o.dryRun {
		return err
	}
	c, err := o.kube.client()
	if err != nil {
		return err
	}
	cfg, err := o.kube.restConfig()
	if err != nil {
		return err
	}
	if o.artifacts, err = artifactClient(cfg); err != nil {
		return err
	}
	return backportWith(ctx, out, o, c, author, args)
}

// backportWith backports the selected edits reading the cluster with c.
func backportWith(ctx context.Context, out io.Writer, o *backportOptions, c client.Client, author object.Signature, args []string) error {
	sel, err := selectEdits(ctx, c, o.ticket, args)
	if err != nil {
		return err
	}
	res := backportOutput{Sources: []*backport.Result{}, Edits: []backport.EditResult{}}
	bySource := map[string][]v1alpha1.BreakGlassEdit{}
	for _, e := range sel.edits {
		switch {
		case !e.Open():
			res.Edits = append(res.Edits, skipped(e, backport.NothingToDo, "already "+string(e.Status.Backport)))
		case e.Status.GitSource == "":
			res.Edits = append(res.Edits, skipped(e, backport.NotWritten, "no GitSource defines the object yet (the audit has not placed it)"))
		default:
			bySource[e.Status.GitSource] = append(bySource[e.Status.GitSource], e)
		}
	}
	opts := backport.Options{Branch: o.branch, Message: o.message, Author: author, Push: o.push, DryRun: o.dryRun, Repo: o.repo, Forge: o.forge}
	live := func(ctx context.Context, ref v1alpha1.ObjectReference) (*audit.Object, error) {
		return readLive(ctx, c, ref)
	}
	for _, name := range sortedKeys(bySource) {
		src, why, err := o.source(ctx, c, name)
		if err != nil {
			return err
		}
		if why != "" {
			for _, e := range bySource[name] {
				res.Edits = append(res.Edits, skipped(e, backport.NotWritten, why))
			}
			continue
		}
		r, err := backport.Run(ctx, src, bySource[name], sel.grants, live, opts)
		if err != nil {
			return fmt.Errorf("GitSource %s: %w", name, err)
		}
		res.Sources = append(res.Sources, r)
		res.Edits = append(res.Edits, r.Edits...)
	}
	if o.output == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("writing JSON: %w", err)
		}
	} else if err := writeBackportText(out, res, o.dryRun); err != nil {
		return err
	}
	for _, r := range res.Edits {
		if r.State == backport.NotWritten || r.State == backport.ByHand {
			return exitCode(1)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func skipped(e v1alpha1.BreakGlassEdit, state, why string) backport.EditResult {
	return backport.EditResult{Edit: e.Name, Ticket: e.Spec.Ticket, Grant: e.Spec.Grant, User: e.Spec.User,
		Object: backport.ObjectName(e.Spec.Object), State: state, Reason: why, Paths: []backport.PathResult{}}
}

// signature is the commit author: --author, else the Git config's user.
func (o *backportOptions) signature() (object.Signature, error) {
	if o.author != "" {
		a, err := mail.ParseAddress(o.author)
		if err != nil || a.Name == "" {
			return object.Signature{}, fmt.Errorf("--author %q: write it as \"Name <email>\"", o.author)
		}
		return object.Signature{Name: a.Name, Email: a.Address, When: time.Now()}, nil
	}
	var name, email string
	if r, err := git.PlainOpenWithOptions(o.repo, &git.PlainOpenOptions{DetectDotGit: true}); err == nil {
		if cfg, err := r.ConfigScoped(gitconfig.SystemScope); err == nil {
			name, email = cfg.User.Name, cfg.User.Email
		}
	}
	if name == "" || email == "" {
		if cfg, err := gitconfig.LoadConfig(gitconfig.GlobalScope); err == nil {
			name, email = cmp.Or(name, cfg.User.Name), cmp.Or(email, cfg.User.Email)
		}
	}
	if name == "" || email == "" {
		return object.Signature{}, errors.New(`no commit author: give --author "Name <email>" or set user.name and user.email in the Git config`)
	}
	return object.Signature{Name: name, Email: email, When: time.Now()}, nil
}

// source reads a GitSource and its credentials. why says why its edits cannot be written when
// the source is not one backport can write to.
func (o *backportOptions) source(ctx context.Context, c client.Client, name string) (backport.Source, string, error) {
	var gs v1alpha1.GitSource
	if err := c.Get(ctx, clientKey(name), &gs); err != nil {
		if apierrors.IsNotFound(err) {
			return backport.Source{}, fmt.Sprintf("GitSource %s no longer exists", name), nil
		}
		return backport.Source{}, "", fmt.Errorf("reading GitSource %s: %w", name, err)
	}
	src := backport.Source{Name: name, URL: gs.Spec.URL, Revision: gs.Spec.Revision, Path: gs.Spec.Path, DefaultNamespace: gs.Spec.DefaultNamespace}
	secret := gs.Spec.SecretRef
	if ref := gs.Spec.SourceRef; ref != nil && ref.Kind == v1alpha1.SourceKindHelmRelease {
		h, git, why, err := helmGit(ctx, c, name, ref, o.artifacts)
		if err != nil || why != "" {
			return backport.Source{}, why, err
		}
		src.URL, src.Revision, src.Path, src.Helm = git.URL, git.Revision, git.Path, h
		secret = nil
		if git.SecretName != "" {
			secret = &v1alpha1.SecretReference{Namespace: git.SecretNamespace, Name: git.SecretName}
		}
	} else if ref != nil {
		fl, git, why, err := fluxGit(ctx, c, name, ref)
		if err != nil || why != "" {
			return backport.Source{}, why, err
		}
		src.URL, src.Revision, src.Path, src.Flux = git.URL, git.Revision, git.Path, fl
		secret = nil
		if git.SecretName != "" {
			secret = &v1alpha1.SecretReference{Namespace: git.SecretNamespace, Name: git.SecretName}
		}
	}
	if src.URL == "" {
		return backport.Source{}, fmt.Sprintf("GitSource %s names no repository", name), nil
	}
	if u, p := os.Getenv(envGitUsername), os.Getenv(envGitPassword); u != "" || p != "" {
		src.Auth.Username, src.Auth.Password = u, p
		return src, "", nil
	}
	if ref := secret; ref != nil {
		key := client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}
		if key.Namespace == "" {
			key.Namespace = o.namespace
		}
		var s corev1.Secret
		if err := c.Get(ctx, key, &s); err != nil {
			return backport.Source{}, "", fmt.Errorf("reading the credentials Secret %s of GitSource %s (or set %s and %s): %w", key, name, envGitUsername, envGitPassword, err)
		}
		auth, err := source.AuthFromSecret(s.Data)
		if err != nil {
			return backport.Source{}, "", fmt.Errorf("GitSource %s: %w", name, err)
		}
		src.Auth = auth
	}
	return src, "", nil
}

// fluxGit reads the Flux Kustomization a GitSource names and its GitRepository: where its files
// are in Git. why says why its edits cannot be written (the Kustomization is gone, its source
// is not Git).
func fluxGit(ctx context.Context, c client.Client, name string, ref *v1alpha1.GitOpsReference) (*backport.Flux, backport.FluxGit, string, error) {
	if ref.Kind != v1alpha1.SourceKindKustomization {
		return nil, backport.FluxGit{}, fmt.Sprintf("GitSource %s audits a %s: backport writes to Git for Flux Kustomizations and HelmReleases and plain GitSources only", name, ref.Kind), nil
	}
	ks := &unstructured.Unstructured{}
	ks.SetAPIVersion("kustomize.toolkit.fluxcd.io/v1")
	ks.SetKind(ref.Kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, ks); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, backport.FluxGit{}, fmt.Sprintf("GitSource %s: Kustomization %s/%s no longer exists", name, ref.Namespace, ref.Name), nil
		}
		return nil, backport.FluxGit{}, "", fmt.Errorf("reading Kustomization %s/%s of GitSource %s: %w", ref.Namespace, ref.Name, name, err)
	}
	kind, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "kind")
	repoName, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "name")
	repoNS, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "namespace")
	if repoNS == "" {
		repoNS = ks.GetNamespace()
	}
	if kind != "GitRepository" {
		return nil, backport.FluxGit{}, fmt.Sprintf("GitSource %s: Kustomization %s/%s applies a %s, not a Git repository: backport writes to Git only", name, ref.Namespace, ref.Name, kind), nil
	}
	repo := &unstructured.Unstructured{}
	repo.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	repo.SetKind(kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: repoNS, Name: repoName}, repo); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, backport.FluxGit{}, fmt.Sprintf("GitSource %s: GitRepository %s/%s of Kustomization %s/%s does not exist", name, repoNS, repoName, ref.Namespace, ref.Name), nil
		}
		return nil, backport.FluxGit{}, "", fmt.Errorf("reading GitRepository %s/%s of GitSource %s: %w", repoNS, repoName, name, err)
	}
	git, err := backport.GitOf(ks, repo)
	if err != nil {
		return nil, backport.FluxGit{}, "", fmt.Errorf("GitSource %s: %w", name, err)
	}
	return &backport.Flux{Kustomization: *ks, Variables: c}, git, "", nil
}

// Labels kustomize-controller puts on what a Flux Kustomization applies.
const (
	kustomizationNameLabel      = "kustomize.toolkit.fluxcd.io/name"
	kustomizationNamespaceLabel = "kustomize.toolkit.fluxcd.io/namespace"
)

// helmGit reads the Flux HelmRelease a GitSource names and where its values are in Git: the
// repository of the Flux Kustomization that applies its manifest (its kustomize-controller
// labels), else the GitRepository its chart is in. why says why its edits cannot be written.
// artifacts downloads the chart from source-controller when it is not in that repository.
func helmGit(ctx context.Context, c client.Client, name string, ref *v1alpha1.GitOpsReference, artifacts *http.Client) (*backport.Helm, backport.FluxGit, string, error) {
	where := fmt.Sprintf("GitSource %s: HelmRelease %s/%s", name, ref.Namespace, ref.Name)
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("helm.toolkit.fluxcd.io/v2")
	u.SetKind(ref.Kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, backport.FluxGit{}, where + " no longer exists", nil
		}
		return nil, backport.FluxGit{}, "", fmt.Errorf("reading %s: %w", where, err)
	}
	var hr helmv2.HelmRelease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &hr); err != nil {
		return nil, backport.FluxGit{}, "", fmt.Errorf("%s: %w", where, err)
	}
	switch {
	case hr.Spec.KubeConfig != nil:
		return nil, backport.FluxGit{}, where + " installs into another cluster (spec.kubeConfig): not audited", nil
	case len(hr.Spec.PostRenderers) > 0:
		return nil, backport.FluxGit{}, where + " has spec.postRenderers, which driftgate does not render yet", nil
	}
	chartNS, chartName, err := source.HelmChartOf(&hr)
	if err != nil {
		return nil, backport.FluxGit{}, fmt.Sprintf("%s: %v", where, err), nil
	}
	hc := &unstructured.Unstructured{}
	hc.SetAPIVersion("source.toolkit.fluxcd.io/v1")
	hc.SetKind("HelmChart")
	if err := c.Get(ctx, client.ObjectKey{Namespace: chartNS, Name: chartName}, hc); err != nil {
		return nil, backport.FluxGit{}, "", fmt.Errorf("%s: reading its HelmChart %s/%s: %w", where, chartNS, chartName, err)
	}
	chart := source.ReadHelmChart(hc)
	from, err := source.ReadValuesFrom(ctx, c, &hr)
	if err != nil {
		return nil, backport.FluxGit{}, "", fmt.Errorf("%s: %w", where, err)
	}
	h := &backport.Helm{
		Release: source.HelmRelease{Namespace: hr.Namespace, Name: hr.Name, ReleaseName: hr.GetReleaseName(), ReleaseNamespace: hr.GetReleaseNamespace(),
			Chart: chart.Artifact, ChartPath: chart.ChartPath,
			DisableSchemaValidation: hr.GetInstall().DisableSchemaValidation || hr.GetUpgrade().DisableSchemaValidation,
			Namespaced:              namespacedIn(c)},
		ValuesFrom: from, Values: hr.GetValues(), Fetcher: &source.Fetcher{HTTP: artifacts},
		ChartElsewhere: fmt.Sprintf("the chart of HelmChart %s/%s", chartNS, chartName),
	}
	var chartGit *backport.FluxGit
	if chart.GitName != "" {
		repo := &unstructured.Unstructured{}
		repo.SetAPIVersion("source.toolkit.fluxcd.io/v1")
		repo.SetKind("GitRepository")
		if err := c.Get(ctx, client.ObjectKey{Namespace: chart.GitNamespace, Name: chart.GitName}, repo); err != nil {
			return nil, backport.FluxGit{}, "", fmt.Errorf("%s: reading the GitRepository %s/%s of its chart: %w", where, chart.GitNamespace, chart.GitName, err)
		}
		g, err := backport.RepoOf(repo)
		if err != nil {
			return nil, backport.FluxGit{}, "", fmt.Errorf("%s: %w", where, err)
		}
		chartGit = &g
		h.ChartElsewhere = fmt.Sprintf("GitRepository %s/%s (%s)", chart.GitNamespace, chart.GitName, g.URL)
	}
	ksName, ksNS := u.GetLabels()[kustomizationNameLabel], u.GetLabels()[kustomizationNamespaceLabel]
	var git backport.FluxGit
	switch {
	case ksName != "":
		fl, g, why, err := fluxGit(ctx, c, name, &v1alpha1.GitOpsReference{Kind: v1alpha1.SourceKindKustomization, Namespace: ksNS, Name: ksName})
		if err != nil || why != "" {
			return nil, backport.FluxGit{}, why, err
		}
		h.Kustomization, git = fl, g
	case chartGit != nil:
		git = *chartGit
		git.Path = ""
	default:
		return nil, backport.FluxGit{}, where + " is applied by no Flux Kustomization (it has no " + kustomizationNameLabel +
			" label) and its chart is not in Git: there is no file in Git to write", nil
	}
	if chartGit != nil && chartGit.URL == git.URL && chartGit.Revision == git.Revision {
		h.ChartPath, h.ValuesFiles = chart.ChartPath, chart.ValuesFiles
	} else {
		h.Release.ChartPath = ""
	}
	return h, git, "", nil
}

// namespacedIn reports whether the cluster serves a group and kind as namespaced (true when it
// cannot tell, as Helm then leaves the object's namespace to the release).
func namespacedIn(c client.Client) func(group, kind string) bool {
	return func(group, kind string) bool {
		m, err := c.RESTMapper().RESTMapping(schema.GroupKind{Group: group, Kind: kind})
		return err != nil || m.Scope.Name() == meta.RESTScopeNameNamespace
	}
}

// selection is the edits a command acts on and their grants.
type selection struct {
	edits  []v1alpha1.BreakGlassEdit
	grants map[string]*v1alpha1.BreakGlassGrant
}

// selectEdits reads the edits named, or the edits of a ticket (its own spec.ticket, else its
// grant's, as the report selects them), oldest first.
func selectEdits(ctx context.Context, c client.Client, ticket string, names []string) (selection, error) {
	sel := selection{grants: map[string]*v1alpha1.BreakGlassGrant{}}
	var grants v1alpha1.BreakGlassGrantList
	if err := c.List(ctx, &grants); err != nil {
		return sel, fmt.Errorf("listing break-glass grants: %w", err)
	}
	for i := range grants.Items {
		sel.grants[grants.Items[i].Name] = &grants.Items[i]
	}
	if ticket == "" {
		for _, n := range names {
			var e v1alpha1.BreakGlassEdit
			if err := c.Get(ctx, clientKey(n), &e); err != nil {
				return sel, fmt.Errorf("reading break-glass edit %s: %w", n, err)
			}
			sel.edits = append(sel.edits, e)
		}
		return sel, nil
	}
	var edits v1alpha1.BreakGlassEditList
	if err := c.List(ctx, &edits); err != nil {
		return sel, fmt.Errorf("listing break-glass edits: %w", err)
	}
	for _, e := range edits.Items {
		t := e.Spec.Ticket
		if g := sel.grants[e.Spec.Grant]; t == "" && g != nil {
			t = g.Spec.Ticket
		}
		if t == ticket {
			if e.Spec.Ticket == "" {
				e.Spec.Ticket = t
			}
			sel.edits = append(sel.edits, e)
		}
	}
	if len(sel.edits) == 0 {
		return sel, fmt.Errorf("no break-glass edits for ticket %s", ticket)
	}
	slices.SortStableFunc(sel.edits, func(a, b v1alpha1.BreakGlassEdit) int { return a.Spec.Time.Compare(b.Spec.Time.Time) })
	return sel, nil
}

// readLive reads an edit's object; nil when it is gone.
func readLive(ctx context.Context, c client.Client, ref v1alpha1.ObjectReference) (*audit.Object, error) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(ref.APIVersion)
	u.SetKind(ref.Kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s: %w", backport.ObjectName(ref), err)
	}
	return &audit.Object{Source: "live", Content: u.Object}, nil
}

func writeBackportText(out io.Writer, res backportOutput, dryRun bool) error {
	var b strings.Builder
	for _, r := range res.Edits {
		fmt.Fprintf(&b, "%-13s %s  %s", r.State, r.Edit, r.Object)
		if r.Reason != "" {
			fmt.Fprintf(&b, ": %s", r.Reason)
		}
		b.WriteString("\n")
		if r.State != backport.Written {
			continue
		}
		for _, p := range r.Paths {
			fmt.Fprintf(&b, "    %s: %s → %s (%s)\n", p.Path, backport.JSONValue(p.Old), backport.JSONValue(p.New), strings.Join(p.Files, ", "))
		}
	}
	for _, s := range res.Sources {
		switch {
		case len(s.Commits) == 0:
			fmt.Fprintf(&b, "GitSource %s: nothing to commit\n", s.GitSource)
			continue
		case dryRun:
			fmt.Fprintf(&b, "GitSource %s: would commit %d on branch %s from %s (%s); nothing was changed\n%s",
				s.GitSource, len(s.Commits), s.Branch, s.Base, short(s.BaseRevision), s.Diff)
		case s.Pushed:
			fmt.Fprintf(&b, "GitSource %s: pushed branch %s (%d %s) to %s\n", s.GitSource, s.Branch, len(s.Commits), commits(len(s.Commits)), s.URL)
			if s.PullRequestURL != "" {
				fmt.Fprintf(&b, "open a pull request: %s\n", s.PullRequestURL)
			} else {
				fmt.Fprintf(&b, "open a pull request from %s into %s\n", s.Branch, s.Base)
			}
		default:
			fmt.Fprintf(&b, "GitSource %s: created branch %s (%d %s) in the checkout; push it with: git push <remote> %s\n",
				s.GitSource, s.Branch, len(s.Commits), commits(len(s.Commits)), s.Branch)
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func commits(n int) string {
	if n == 1 {
		return "commit"
	}
	return "commits"
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
