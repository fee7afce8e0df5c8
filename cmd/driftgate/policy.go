package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/server"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/policies/regotest"
	"github.com/driftgate/driftgate/webhook"
)

func newPolicyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Test and evaluate the admission policy offline",
	}
	cmd.AddCommand(newPolicyTestCommand(), newPolicyEvalCommand())
	return cmd
}

func newPolicyTestCommand() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the Rego unit tests and the decision fixtures, offline",
		Long: `Runs every test_ rule of the shipped policy and of DIR's *.rego files, then every decision
fixture (shipped ones and DIR/fixtures/*.yaml). Exit 0 when all pass, 1 when any fails.`,
		Example: "  driftgate policy test\n  driftgate policy test ./my-policies",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(configPath)
			if err != nil {
				return err
			}
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			return runPolicyTests(cmd.Context(), cmd.OutOrStdout(), cfg, dir)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "driftgate.yaml (default: built-in defaults)")
	return cmd
}

func runPolicyTests(ctx context.Context, out io.Writer, cfg *config.Config, dir string) error {
	extra := policies.Modules{}
	if dir != "" {
		var err error
		if extra, err = policies.ReadDir(dir, true); err != nil {
			return fmt.Errorf("reading policies: %w", err)
		}
	}
	results, err := regotest.RunTests(ctx, policies.Merge(policies.Embedded(true), extra), policies.Data(cfg))
	if err != nil {
		return err
	}
	t := &tally{out: out}
	for _, r := range results {
		if r.Skipped {
			t.skip(r.Name)
			continue
		}
		t.report(r.Name, r.Detail)
	}
	fixtures, err := runFixtures(ctx, cfg, dir, extra)
	if err != nil {
		return err
	}
	for _, f := range fixtures {
		t.report("fixture "+f.Name, f.Problem)
	}
	return t.summary()
}

// runFixtures decides the shipped decision fixtures and those in dir/fixtures, if dir is given.
func runFixtures(ctx context.Context, cfg *config.Config, dir string, extra policies.Modules) ([]webhook.FixtureResult, error) {
	engine, err := policies.NewEngine(ctx, policies.Data(cfg), cfg.EvaluationTimeout(), extra)
	if err != nil {
		return nil, err
	}
	scheme, err := server.NewScheme()
	if err != nil {
		return nil, err
	}
	fixtures, err := webhook.RunFixtures(ctx, policies.Fixtures, "fixtures", engine, cfg, scheme)
	if err != nil || dir == "" {
		return fixtures, err
	}
	own, err := webhook.RunFixtures(ctx, os.DirFS(dir), "fixtures", engine, cfg, scheme)
	return append(fixtures, own...), err
}

// tally prints each test's outcome and counts them.
type tally struct {
	out                     io.Writer
	passed, failed, skipped int
}

// report records a test that passed (problem is empty) or failed.
func (t *tally) report(name, problem string) {
	if problem == "" {
		t.passed++
		fmt.Fprintf(t.out, "PASS %s\n", name)
		return
	}
	t.failed++
	fmt.Fprintf(t.out, "FAIL %s: %s\n", name, problem)
}

// skip records a test OPA skips (todo_test_ rules).
func (t *tally) skip(name string) {
	t.skipped++
	fmt.Fprintf(t.out, "SKIP %s\n", name)
}

// summary prints the counts; it is exit code 1 when a test failed.
func (t *tally) summary() error {
	if t.skipped > 0 {
		fmt.Fprintf(t.out, "%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped)
	} else {
		fmt.Fprintf(t.out, "%d passed, %d failed\n", t.passed, t.failed)
	}
	if t.failed > 0 {
		return exitCode(1)
	}
	return nil
}

type evalOptions struct {
	review, grants, parent, config, output, mode, now, policyDir string
}

func newPolicyEvalCommand() *cobra.Command {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval --review FILE",
		Short: "Decide one AdmissionReview offline",
		Long: `Prints the decision driftgate's webhook would give for an AdmissionReview (JSON or YAML).
Grants come from --grants (a list or kind: List of BreakGlassGrant). Exit 0 allowed, 1 denied.`,
		Example: "  driftgate policy eval --review review.json --grants grants.yaml -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyEval(cmd.Context(), cmd.OutOrStdout(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.review, "review", "", "AdmissionReview file (required)")
	f.StringVar(&o.grants, "grants", "", "BreakGlassGrant file: a YAML/JSON list or kind: List")
	f.StringVar(&o.parent, "parent", "", "for a /scale review: the parent object (YAML/JSON), whose markers decide")
	f.StringVar(&o.config, "config", "", "driftgate.yaml (default: built-in defaults)")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.StringVar(&o.mode, "mode", "", "admission mode of the request's namespace (default: the config's)")
	f.StringVar(&o.now, "now", "", "evaluate at this RFC 3339 time (default: now)")
	f.StringVar(&o.policyDir, "policy-dir", "", "extra policy files (default: the config's policy.dir)")
	_ = cmd.MarkFlagRequired("review")
	return cmd
}

func runPolicyEval(ctx context.Context, out io.Writer, o *evalOptions) error {
	if o.output != "text" && o.output != "json" {
		return fmt.Errorf("-o %q: want text or json", o.output)
	}
	cfg, err := config.Load(o.config)
	if err != nil {
		return err
	}
	review, err := readReview(o.review)
	if err != nil {
		return err
	}
	grants, err := readGrants(o.grants)
	if err != nil {
		return err
	}
	now, mode, err := evalClockAndMode(o, cfg)
	if err != nil {
		return err
	}
	engine, err := server.NewEngine(ctx, cfg, firstNonEmpty(o.policyDir, cfg.Policy.Dir))
	if err != nil {
		return err
	}
	scheme, err := server.NewScheme()
	if err != nil {
		return err
	}
	req, err := webhook.RequestFrom(review.Request)
	if err != nil {
		return err
	}
	parents, err := readParent(o.parent, req)
	if err != nil {
		return err
	}
	res := webhook.Offline(engine, cfg, scheme, grants, mode, parents, now).Decide(ctx, req)
	if err := printDecision(out, o.output, &res.Decision); err != nil {
		return err
	}
	if !res.Allowed {
		return exitCode(1)
	}
	return nil
}

func evalClockAndMode(o *evalOptions, cfg *config.Config) (time.Time, config.Mode, error) {
	now := time.Now()
	if o.now != "" {
		t, err := time.Parse(time.RFC3339, o.now)
		if err != nil {
			return now, "", fmt.Errorf("--now %q is not an RFC 3339 time", o.now)
		}
		now = t
	}
	mode := cfg.Mode
	if o.mode != "" {
		mode = config.Mode(o.mode)
		if !mode.Valid() {
			return now, "", fmt.Errorf("--mode %q: want enforce, warn or dryrun", o.mode)
		}
	}
	return now, mode, nil
}

func printDecision(out io.Writer, format string, d *policies.Decision) error {
	if format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	}
	verdict := "DENIED"
	if d.Allowed {
		verdict = "ALLOWED"
	}
	fmt.Fprintf(out, "%s: %s\n", verdict, d.Reason)
	for _, w := range d.Warnings {
		fmt.Fprintf(out, "warning: %s\n", w)
	}
	if d.Grant != "" {
		fmt.Fprintf(out, "grant: %s (ticket %s)\n", d.Grant, d.Ticket)
	}
	return nil
}

func readReview(path string) (*admissionv1.AdmissionReview, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the review: %w", err)
	}
	var review admissionv1.AdmissionReview
	if err := yaml.Unmarshal(raw, &review); err != nil {
		return nil, fmt.Errorf("%s is not an AdmissionReview: %w", path, err)
	}
	if review.Request == nil {
		return nil, fmt.Errorf("%s has no request: is it an AdmissionReview?", path)
	}
	return &review, nil
}

// readParent reads the parent object of a subresource review, keyed as StaticParents wants it.
func readParent(path string, req *webhook.Request) (webhook.StaticParents, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the parent: %w", err)
	}
	var parent metav1.PartialObjectMetadata
	if err := yaml.Unmarshal(raw, &parent); err != nil {
		return nil, fmt.Errorf("%s is not a Kubernetes object: %w", path, err)
	}
	return webhook.StaticParents{webhook.ParentKey(req.Resource.Resource, req.Namespace, req.Name): &parent}, nil
}

// readGrants reads BreakGlassGrants from a YAML/JSON list or a kind: List.
func readGrants(path string) ([]v1alpha1.BreakGlassGrant, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading grants: %w", err)
	}
	var list []v1alpha1.BreakGlassGrant
	if err := yaml.UnmarshalStrict(raw, &list); err == nil {
		return list, nil
	}
	var kindList v1alpha1.BreakGlassGrantList
	if err := yaml.UnmarshalStrict(raw, &kindList); err != nil {
		return nil, fmt.Errorf("%s is neither a list nor a kind: List of BreakGlassGrant: %w", path, err)
	}
	if kindList.Kind != "List" && kindList.Kind != "BreakGlassGrantList" {
		return nil, fmt.Errorf("%s: kind %q, want List or BreakGlassGrantList", path, kindList.Kind)
	}
	return kindList.Items, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
