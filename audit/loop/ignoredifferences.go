package loop

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
)

// argoIgnore is one entry of an Application's spec.ignoreDifferences.
type argoIgnore struct {
	Group                 string   `json:"group,omitempty"`
	Kind                  string   `json:"kind"`
	Name                  string   `json:"name,omitempty"`
	Namespace             string   `json:"namespace,omitempty"`
	JSONPointers          []string `json:"jsonPointers,omitempty"`
	JQPathExpressions     []string `json:"jqPathExpressions,omitempty"`
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}

// ignoreDifferences maps an Application's spec.ignoreDifferences onto the audit's ignore rules,
// one rule per rendered object an entry selects (its group and kind, and its name and
// namespace where the entry sets them): the entry's jsonPointers and the paths its
// jqPathExpressions find in the object as Git renders it, each named as the audit names paths
// (a list item by its merge key or name, as drift is reported), and its managedFieldsManagers:
// whatever those managers own on the live object is not drift. A pointer or expression that
// cannot be read is an error naming it; an expression that fails on an object is skipped for
// it, as Argo CD skips it.
//
// global are the entries of argocd-cm's resource.customizations.ignoreDifferences.<group_kind>
// keys (argoGlobalIgnores), which Argo CD applies to every Application.
func (r *Reconciler) ignoreDifferences(u *unstructured.Unstructured, objs []audit.Object, global []argoIgnoreEntry) ([]audit.IgnoreRule, error) {
	raw, _, _ := unstructured.NestedSlice(u.Object, "spec", "ignoreDifferences")
	if len(raw) == 0 && len(global) == 0 {
		return nil, nil
	}
	d, err := r.baseDiffer()
	if err != nil {
		return nil, err
	}
	entries := make([]argoIgnoreEntry, 0, len(raw)+len(global))
	for i, e := range raw {
		m, _ := e.(map[string]any)
		var entry argoIgnore
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &entry); err != nil {
			return nil, fmt.Errorf("spec.ignoreDifferences[%d]: %w", i, err)
		}
		entries = append(entries, argoIgnoreEntry{argoIgnore: entry, where: fmt.Sprintf("spec.ignoreDifferences[%d]", i)})
	}
	var rules []audit.IgnoreRule
	for _, e := range append(entries, global...) {
		got, err := e.rules(d, objs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.where, err)
		}
		rules = append(rules, got...)
	}
	return rules, nil
}

// argoIgnoreEntry is an ignoreDifferences entry and where it is written, for errors.
type argoIgnoreEntry struct {
	argoIgnore
	where string
}

// argoCustomizationPrefix starts the argocd-cm keys of Argo CD's global ignoreDifferences:
// resource.customizations.ignoreDifferences.<group>_<kind>, .<kind> (the core group) or .all.
const argoCustomizationPrefix = "resource.customizations.ignoreDifferences."

// argoGlobalIgnores reads the global ignoreDifferences of argocd-cm's data, in key order: each
// value is YAML with jsonPointers, jqPathExpressions and managedFieldsManagers, for the group and
// kind its key names (all: every object).
func argoGlobalIgnores(cm map[string]string) ([]argoIgnoreEntry, error) {
	var out []argoIgnoreEntry
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		gk, ok := strings.CutPrefix(k, argoCustomizationPrefix)
		if !ok {
			continue
		}
		var e argoIgnore
		switch group, kind, found := strings.Cut(gk, "_"); {
		case gk == "all":
			e.Group, e.Kind = "*", "*"
		case found && !strings.Contains(kind, "_"):
			e.Group, e.Kind = group, kind
		case !found && gk != "":
			e.Kind = gk
		default:
			return nil, fmt.Errorf("argocd-cm %s: not <group>_<kind>, <kind> or all", k)
		}
		if err := yaml.Unmarshal([]byte(cm[k]), &e); err != nil {
			return nil, fmt.Errorf("argocd-cm %s is not YAML: %w", k, err)
		}
		out = append(out, argoIgnoreEntry{argoIgnore: e, where: "argocd-cm " + k})
	}
	return out, nil
}

// rules are the ignore rules of one entry for the objects it selects.
func (e argoIgnore) rules(d *audit.Differ, objs []audit.Object) ([]audit.IgnoreRule, error) {
	pointers := make([][]string, 0, len(e.JSONPointers))
	for _, p := range e.JSONPointers {
		tokens, err := pointerTokens(p)
		if err != nil {
			return nil, fmt.Errorf("jsonPointers %q: %w", p, err)
		}
		pointers = append(pointers, tokens)
	}
	group, kind := source.ArgoGlob(e.Group), source.ArgoGlob(e.Kind) // "" is the core group
	queries := make([]*gojq.Code, 0, len(e.JQPathExpressions))
	for _, expr := range e.JQPathExpressions {
		q, err := gojq.Parse("path(" + expr + ")")
		if err != nil {
			return nil, fmt.Errorf("jqPathExpressions %q: %w", expr, err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, fmt.Errorf("jqPathExpressions %q: %w", expr, err)
		}
		queries = append(queries, code)
	}
	var out []audit.IgnoreRule
	for _, o := range objs {
		if !group(o.Group()) || !kind(o.Kind()) || (e.Name != "" && e.Name != o.Name()) || (e.Namespace != "" && e.Namespace != o.Namespace()) {
			continue
		}
		rule := audit.IgnoreRule{Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name(), Managers: e.ManagedFieldsManagers}
		for _, tokens := range pointers {
			p, err := d.PathOf(o, pointerSteps(o.Content, tokens))
			if err != nil {
				return nil, err
			}
			if p != "" {
				rule.Paths = append(rule.Paths, p)
			}
		}
		for i, code := range queries {
			paths, err := jqPaths(code, o.Content)
			if err != nil {
				continue // Argo CD skips an expression that fails on an object
			}
			for _, steps := range paths {
				p, err := d.PathOf(o, steps)
				if err != nil {
					return nil, fmt.Errorf("jqPathExpressions %q: %w", e.JQPathExpressions[i], err)
				}
				if p != "" {
					rule.Paths = append(rule.Paths, p)
				}
			}
		}
		if len(rule.Paths) > 0 || len(rule.Managers) > 0 {
			out = append(out, rule)
		}
	}
	return out, nil
}

// pointerTokens splits an RFC 6901 JSON pointer into its reference tokens, unescaped.
func pointerTokens(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, errors.New("a JSON pointer starts with /")
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// pointerSteps are a pointer's tokens as steps into v: a token is a list index where v holds a
// list there, a map key otherwise.
func pointerSteps(v any, tokens []string) []any {
	steps := make([]any, 0, len(tokens))
	for _, t := range tokens {
		switch cur := v.(type) {
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 {
				steps = append(steps, t)
				v = nil
				continue
			}
			steps = append(steps, i)
			v = nil
			if i < len(cur) {
				v = cur[i]
			}
		case map[string]any:
			steps, v = append(steps, t), cur[t]
		default:
			steps, v = append(steps, t), nil
		}
	}
	return steps
}

// jqPaths runs a compiled path(expr) on v and returns every path it yields.
func jqPaths(code *gojq.Code, v map[string]any) ([][]any, error) {
	iter := code.Run(v)
	var out [][]any
	for {
		got, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, ok := got.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				return out, nil
			}
			return nil, err
		}
		steps, ok := got.([]any)
		if !ok {
			return nil, fmt.Errorf("path() gave %T", got)
		}
		out = append(out, steps)
	}
}
