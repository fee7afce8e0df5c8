package audit

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// IgnoreRule skips paths on the objects it selects (driftgate.yaml's audit.ignore); an empty
// selector field matches any value.
type IgnoreRule = config.IgnoreRule

// Options configure a Differ.
type Options struct {
	// Namespace is given to namespaced objects whose manifest omits one ("default" when empty).
	Namespace string
	// IgnoreFields are paths skipped on every object (`--ignore-fields`).
	IgnoreFields []string
	// IgnoreRules are paths skipped on selected objects (config).
	IgnoreRules []IgnoreRule
	// HumanManagers are field managers counted as people's tools besides kubectl* and
	// before-first-apply.
	HumanManagers []string
	// GitOpsManagers are the GitOps field managers (default argocd-controller,
	// kustomize-controller, helm-controller).
	GitOpsManagers []string
	// Markers name the GitOps app that owns a live object: one Git lacks is orphaned when its
	// marker names an app that owns a live object Git has.
	Markers config.Markers
	// Revision is the Git revision reported.
	Revision string
}

// DefaultGitOpsManagers are the field managers of the GitOps controllers (SPEC Defaults).
func DefaultGitOpsManagers() []string {
	return []string{"argocd-controller", "kustomize-controller", "helm-controller"}
}

// DefaultOptions are the options of `driftgate diff` without flags.
func DefaultOptions() Options {
	return Options{
		Namespace:      "default",
		GitOpsManagers: DefaultGitOpsManagers(),
		Markers:        config.Default().Markers,
	}
}

// Differ diffs Git manifests against live objects. It is safe for concurrent use.
type Differ struct {
	opts    Options
	scheme  *runtime.Scheme
	schemas *fieldpath.Schemas
	ignore  [][]fieldpath.Segment
	rules   []compiledRule
}

type compiledRule struct {
	rule     IgnoreRule
	patterns [][]fieldpath.Segment
}

// New returns a Differ; it fails on a malformed ignore path.
func New(opts Options) (*Differ, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building the scheme of built-in kinds: %w", err)
	}
	ignore, err := parsePatterns(opts.IgnoreFields)
	if err != nil {
		return nil, fmt.Errorf("ignore fields: %w", err)
	}
	d := &Differ{opts: opts, scheme: s, schemas: fieldpath.NewSchemas(s), ignore: ignore}
	for _, r := range opts.IgnoreRules {
		ps, err := parsePatterns(r.Paths)
		if err != nil {
			return nil, fmt.Errorf("ignore rule for %s %s/%s: %w", r.Kind, r.Namespace, r.Name, err)
		}
		d.rules = append(d.rules, compiledRule{rule: r, patterns: ps})
	}
	return d, nil
}

// IsHuman reports whether manager is a person's tool: kubectl*, before-first-apply, or one of
// Options.HumanManagers.
func (d *Differ) IsHuman(manager string) bool {
	return strings.HasPrefix(manager, "kubectl") || manager == "before-first-apply" ||
		slices.Contains(d.opts.HumanManagers, manager)
}

func (d *Differ) isGitOps(manager string) bool {
	return slices.Contains(d.opts.GitOpsManagers, manager)
}

// isMapType reports whether the object m is a Go map (labels, data, resources.limits) rather than
// a struct: the typed schema knows the fields of a struct, none of a map's keys. Such a map absent
// from Git counts as empty, so live additions are reported key by key.
func isMapType(s fieldpath.Schema, m map[string]any) bool {
	if !fieldpath.Typed(s) {
		return false
	}
	for k := range m {
		if s.Field(k) != nil {
			return false
		}
	}
	return true
}
