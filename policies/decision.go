package policies

import (
	"fmt"
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
