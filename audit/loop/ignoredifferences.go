package loop

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/driftgate/driftgate/audit"
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
// cannot be read is an error naming it.
func (r *Reconciler) ignoreDifferences(u *unstructured.Unstructured, objs []audit.Object) ([]audit.IgnoreRule, error) {
	raw, _, _ := unstructured.NestedSlice(u.Object, "spec", "ignoreDifferences")
	if len(raw) == 0 {
		return nil, nil
	}
	d, err := r.baseDiffer()
	if err != nil {
		return nil, err
	}
	var rules []audit.IgnoreRule
	for i, e := range raw {
		m, _ := e.(map[string]any)
		var entry argoIgnore
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &entry); err != nil {
			return nil, fmt.Errorf("spec.ignoreDifferences[%d]: %w", i, err)
		}
		got, err := entry.rules(d, objs)
		if err != nil {
			return nil, fmt.Errorf("spec.ignoreDifferences[%d]: %w", i, err)
		}
		rules = append(rules, got...)
	}
	return rules, nil
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
		if !e.selects(o) {
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
				return nil, fmt.Errorf("jqPathExpressions %q on %s %s/%s: %w", e.JQPathExpressions[i], o.Kind(), o.Namespace(), o.Name(), err)
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

// selects reports whether the entry names the object as Argo CD matches it: the group ("" is
// the core group) and kind, and the name and namespace when set.
func (e argoIgnore) selects(o audit.Object) bool {
	return e.Group == o.Group() && e.Kind == o.Kind() &&
		(e.Name == "" || e.Name == o.Name()) && (e.Namespace == "" || e.Namespace == o.Namespace())
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
