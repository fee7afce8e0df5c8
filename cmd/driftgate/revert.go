package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/backport"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// revertFieldManager is the field manager of a revert's write.
const revertFieldManager = "driftgate-revert"

// revertOptions are the flags of driftgate revert.
type revertOptions struct {
	ticket, namespace string
	dryRun            bool
	kube              kubeFlags
}

func newRevertCommand() *cobra.Command {
	o := &revertOptions{}
	cmd := &cobra.Command{
		Use:   "revert EDIT... | --ticket ID",
		Short: "Put Git's values back at the paths of break-glass edits on the live objects",
		Long: `revert writes, for each Required break-glass edit, Git's value at every open path of the edit back
onto the live object (a path Git does not set is removed), as you, through driftgate's webhook,
under your own break-glass grant: the write is recorded like any break-glass write, and once the
audit sees live match Git the edit becomes Reverted, attributed to you. An edit that created an
object is reverted by deleting it, one that deleted an object by creating it as Git defines it.

Git's values are read from the GitSource that defines the object, at the head of its revision,
with the source's credentials (DRIFTGATE_GIT_USERNAME/DRIFTGATE_GIT_PASSWORD, else its
secretRef). Without an active grant for the object the webhook refuses the write, and revert says
so: request one with driftgate breakglass request. --dry-run asks the API server (and driftgate's
webhook) with a dry run and changes nothing.

Exit status: 0 every edit reverted (or nothing to do), 1 a write was refused or an edit could not be
reverted (each says why), 2 error.`,
		Example: `  driftgate revert --ticket INC-4242 --dry-run
  driftgate revert inc-4242-alice-x7k2p-6f1d6b1e`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRevert(cmd.Context(), cmd.OutOrStdout(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ticket, "ticket", "", "revert every Required edit of this ticket")
	f.BoolVar(&o.dryRun, "dry-run", false, "ask the API server with a dry run; change nothing")
	f.StringVar(&o.namespace, "driftgate-namespace", "driftgate-system", "driftgate's namespace: where a GitSource's secretRef without a namespace is")
	o.kube.addFlags(f)
	return cmd
}

func runRevert(ctx context.Context, out io.Writer, o *revertOptions, args []string) error {
	if (o.ticket == "") == (len(args) == 0) {
		return errors.New("name the edits to revert, or give --ticket ID (not both)")
	}
	c, err := o.kube.client()
	if err != nil {
		return err
	}
	sel, err := selectEdits(ctx, c, o.ticket, args)
	if err != nil {
		return err
	}
	bo := &backportOptions{namespace: o.namespace}
	rendered := map[string]*backport.Rendered{}
	failed := false
	for _, e := range sel.edits {
		line, ok, err := o.revertOne(ctx, c, bo, rendered, &e)
		if err != nil {
			return err
		}
		failed = failed || !ok
		fmt.Fprintln(out, line)
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

// revertOne reverts one edit; ok is false when it could not be (line says why).
func (o *revertOptions) revertOne(ctx context.Context, c client.Client, bo *backportOptions, rendered map[string]*backport.Rendered, e *v1alpha1.BreakGlassEdit) (string, bool, error) {
	obj := backport.ObjectName(e.Spec.Object)
	prefix := fmt.Sprintf("%s  %s", e.Name, obj)
	switch {
	case !e.Open():
		return fmt.Sprintf("%s: nothing to do: already %s", prefix, e.Status.Backport), true, nil
	case e.Status.GitSource == "":
		return fmt.Sprintf("%s: not reverted: no GitSource defines the object yet (the audit has not placed it)", prefix), false, nil
	}
	r := rendered[e.Status.GitSource]
	if r == nil {
		src, why, err := bo.source(ctx, c, e.Status.GitSource)
		if err != nil {
			return "", false, err
		}
		if why != "" {
			return fmt.Sprintf("%s: not reverted: %s", prefix, why), false, nil
		}
		if r, err = backport.Render(ctx, src); err != nil {
			return "", false, fmt.Errorf("GitSource %s: %w", src.Name, err)
		}
		rendered[e.Status.GitSource] = r
	}
	desired := r.Object(e.Spec.Object)
	verb := "reverted"
	if o.dryRun {
		verb = "would revert (dry run, allowed)"
	}
	var err error
	var what string
	switch e.Spec.Operation {
	case "CREATE":
		what, err = deleteCreated(ctx, c, e.Spec.Object, desired, o.dryRun)
	case "DELETE":
		what, err = recreate(ctx, c, e.Spec.Object, desired, o.dryRun)
	default:
		what, err = writeBack(ctx, c, e, desired, o.dryRun)
	}
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsInvalid(err):
		return fmt.Sprintf("%s: refused: %s", prefix, oneLine(err)), false, nil
	case errors.Is(err, errCannotRevert):
		return fmt.Sprintf("%s: not reverted: %s", prefix, strings.TrimPrefix(err.Error(), errCannotRevert.Error()+": ")), false, nil
	case err != nil:
		return "", false, err
	case what == "":
		return fmt.Sprintf("%s: nothing to do: live already holds Git's values (revision %s)", prefix, short(r.Revision)), true, nil
	}
	return fmt.Sprintf("%s: %s to Git's revision %s: %s", prefix, verb, short(r.Revision), what), true, nil
}

var errCannotRevert = errors.New("cannot revert")

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// writeBack sets every open path of the edit to Git's value on the live object (removing what
// Git does not set) and updates it as the caller, with the version read (a conflict is an
// error, never an overwrite). It says what it set; "" when live already held it all.
func writeBack(ctx context.Context, c client.Client, e *v1alpha1.BreakGlassEdit, desired *audit.Object, dryRun bool) (string, error) {
	if desired == nil {
		return "", fmt.Errorf("%w: the GitSource's revision does not define the object", errCannotRevert)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(e.Spec.Object.APIVersion)
	u.SetKind(e.Spec.Object.Kind)
	if err := c.Get(ctx, client.ObjectKey{Namespace: e.Spec.Object.Namespace, Name: e.Spec.Object.Name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("%w: the object is gone live", errCannotRevert)
		}
		return "", fmt.Errorf("reading %s: %w", backport.ObjectName(e.Spec.Object), err)
	}
	git := desired.Content
	secret := e.Spec.Object.IsSecret()
	if secret {
		git = foldStringData(git)
	}
	content := any(u.Object)
	var set []string
	for _, p := range revertPaths(e) {
		segs, err := fieldpath.Parse(p)
		if err != nil {
			return "", fmt.Errorf("%w: path %s: %v", errCannotRevert, p, err)
		}
		want, inGit := fieldpath.Lookup(any(git), segs)
		have, isLive := fieldpath.Lookup(content, segs)
		if inGit == isLive && backport.JSONValue(want) == backport.JSONValue(have) {
			continue
		}
		if content, err = backport.SetIn(content, segs, want, !inGit); err != nil {
			return "", fmt.Errorf("%w: %s: %v", errCannotRevert, p, err)
		}
		switch {
		case !inGit:
			set = append(set, p+" removed")
		case secret && v1alpha1.SecretValuePath(p):
			set = append(set, p+" = "+v1alpha1.Sensitive)
		default:
			set = append(set, p+" = "+backport.JSONValue(want))
		}
	}
	if len(set) == 0 {
		return "", nil
	}
	u.Object = content.(map[string]any)
	opts := []client.UpdateOption{client.FieldOwner(revertFieldManager)}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Update(ctx, u, opts...); err != nil {
		if apierrors.IsConflict(err) {
			return "", fmt.Errorf("%s changed while reverting: run revert again: %w", backport.ObjectName(e.Spec.Object), err)
		}
		return "", err
	}
	return strings.Join(set, ", "), nil
}

// revertPaths are the edit's open paths, else every changed path.
func revertPaths(e *v1alpha1.BreakGlassEdit) []string {
	if len(e.Status.OpenPaths) > 0 {
		return e.Status.OpenPaths
	}
	out := make([]string, 0, len(e.Spec.Changes))
	for _, ch := range e.Spec.Changes {
		out = append(out, ch.Path)
	}
	return out
}

// foldStringData is a Secret from Git with stringData folded into data, as the API server
// stores it.
func foldStringData(obj map[string]any) map[string]any {
	sd, ok := obj["stringData"].(map[string]any)
	if !ok {
		return obj
	}
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	data := map[string]any{}
	if d, ok := obj["data"].(map[string]any); ok {
		for k, v := range d {
			data[k] = v
		}
	}
	for k, v := range sd {
		s, _ := v.(string)
		data[k] = base64.StdEncoding.EncodeToString([]byte(s))
	}
	out["data"] = data
	delete(out, "stringData")
	return out
}

// deleteCreated reverts a create: the object goes, unless Git defines it (then it stays).
func deleteCreated(ctx context.Context, c client.Client, ref v1alpha1.ObjectReference, desired *audit.Object, dryRun bool) (string, error) {
	if desired != nil {
		return "", fmt.Errorf("%w: Git defines the object the edit created: it stays", errCannotRevert)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(ref.APIVersion)
	u.SetKind(ref.Kind)
	u.SetNamespace(ref.Namespace)
	u.SetName(ref.Name)
	var del []client.DeleteOption
	if dryRun {
		del = append(del, client.DryRunAll)
	}
	if err := c.Delete(ctx, u, del...); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", err
	}
	return "deleted the object the edit created", nil
}

// recreate reverts a delete: the object is created as Git defines it.
func recreate(ctx context.Context, c client.Client, ref v1alpha1.ObjectReference, desired *audit.Object, dryRun bool) (string, error) {
	if desired == nil {
		return "", fmt.Errorf("%w: Git no longer defines the object the edit deleted", errCannotRevert)
	}
	u := &unstructured.Unstructured{Object: desired.Content}
	if ref.IsSecret() {
		u.Object = foldStringData(u.Object)
	}
	u.SetNamespace(ref.Namespace)
	opts := []client.CreateOption{client.FieldOwner(revertFieldManager)}
	if dryRun {
		opts = append(opts, client.DryRunAll)
	}
	if err := c.Create(ctx, u, opts...); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return "", nil
		}
		return "", err
	}
	return "created the object as Git defines it", nil
}
