package policies

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Decision is the policy's answer.
type Decision struct {
	Allowed          bool              `json:"allowed"`
	Reason           string            `json:"reason"`
	Writer           string            `json:"writer,omitempty"`
	Warnings         []string          `json:"warnings"`
	Grant            string            `json:"grant"`
	Ticket           string            `json:"ticket,omitempty"`
	Record           bool              `json:"record"`
	AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
}

// Deny is the decision for a request the engine could not decide.
func Deny(reason string) Decision {
	return Decision{Allowed: false, Reason: reason, Warnings: []string{}}
}

// decisionFrom reads the value of data.driftgate.admission.decision.
func decisionFrom(v any) (Decision, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Decision{}, fmt.Errorf("decision is %T, not an object", v)
	}
	var d Decision
	var err error
	if d.Allowed, err = field[bool](m, "allowed"); err != nil {
		return Decision{}, err
	}
	if d.Reason, err = field[string](m, "reason"); err != nil {
		return Decision{}, err
	}
	d.Writer, _ = m["writer"].(string)
	d.Grant, _ = m["grant"].(string)
	d.Ticket, _ = m["ticket"].(string)
	d.Record, _ = m["record"].(bool)
	d.Warnings = []string{}
	if ws, ok := m["warnings"].([]any); ok {
		for _, w := range ws {
			if s, ok := w.(string); ok {
				d.Warnings = append(d.Warnings, s)
			}
		}
	}
	if aa, ok := m["auditAnnotations"].(map[string]any); ok && len(aa) > 0 {
		d.AuditAnnotations = make(map[string]string, len(aa))
		for k, v := range aa {
			d.AuditAnnotations[k] = fmt.Sprint(v)
		}
	}
	return d, nil
}

func field[T any](m map[string]any, key string) (T, error) {
	v, ok := m[key].(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("decision.%s is missing or not a %T", key, zero)
	}
	return v, nil
}

// decisionFromValue reads the decision straight from its AST value. A decision of the shape the
// policy produces (every field of its expected type) is read without building Go maps; any other
// goes through JSON conversion and decisionFrom, so both read the same decision identically.
func decisionFromValue(v ast.Value, k *keys) (Decision, error) {
	if d, ok := plainDecision(v, k); ok {
		return d, nil
	}
	j, err := ast.JSON(v)
	if err != nil {
		return Decision{}, fmt.Errorf("decision is not JSON: %w", err)
	}
	return decisionFrom(j)
}

// plainDecision reads a decision whose fields all have their expected types; ok is false for
// any other value.
func plainDecision(v ast.Value, k *keys) (d Decision, ok bool) {
	obj, isObj := v.(ast.Object)
	if !isObj || obj.Len() != 8 {
		return Decision{}, false
	}
	var ok1, ok2, ok3, ok4, ok5, ok6, ok7, ok8 bool
	d.Allowed, ok1 = boolOf(obj.Get(k.allowed))
	d.Reason, ok2 = stringOf(obj.Get(k.reason))
	d.Writer, ok3 = stringOf(obj.Get(k.writer))
	d.Grant, ok4 = stringOf(obj.Get(k.grant))
	d.Ticket, ok5 = stringOf(obj.Get(k.ticket))
	d.Record, ok6 = boolOf(obj.Get(k.record))
	d.Warnings, ok7 = stringsOf(obj.Get(k.warnings))
	d.AuditAnnotations, ok8 = annotationsOf(obj.Get(k.auditAnnotations))
	return d, ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8
}

// stringOf reads t when it is a string.
func stringOf(t *ast.Term) (string, bool) {
	if t == nil {
		return "", false
	}
	s, ok := t.Value.(ast.String)
	return string(s), ok
}

// boolOf reads t when it is a boolean.
func boolOf(t *ast.Term) (bool, bool) {
	if t == nil {
		return false, false
	}
	b, ok := t.Value.(ast.Boolean)
	return bool(b), ok
}

// stringsOf reads an array of strings; an empty one reads as an empty, non-nil slice.
func stringsOf(t *ast.Term) ([]string, bool) {
	if t == nil {
		return nil, false
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, arr.Len())
	for i := range arr.Len() {
		s, ok := arr.Elem(i).Value.(ast.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// annotationsOf reads an object of strings; an empty one reads as nil.
func annotationsOf(t *ast.Term) (map[string]string, bool) {
	if t == nil {
		return nil, false
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, false
	}
	if obj.Len() == 0 {
		return nil, true
	}
	out := make(map[string]string, obj.Len())
	notPlain := obj.Until(func(k, v *ast.Term) bool {
		ks, kok := k.Value.(ast.String)
		vs, vok := v.Value.(ast.String)
		if !kok || !vok {
			return true
		}
		out[string(ks)] = string(vs)
		return false
	})
	return out, !notPlain
}
