package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts admission decisions.
type Metrics struct {
	decisions *prometheus.CounterVec
}

// NewMetrics registers the admission metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "driftgate_admission_decisions_total",
		Help: "Admission decisions by result (allowed, denied, would_deny in warn/dryrun mode, break_glass, error: denied because driftgate could not decide or record) and writer class.",
	}, []string{"result", "writer"})}
	if err := reg.Register(m.decisions); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) observe(res *Result) {
	if m == nil {
		return
	}
	result := "allowed"
	switch {
	case res.Failed:
		result = "error"
	case !res.Allowed:
		result = "denied"
	case res.Grant != "":
		result = "break_glass"
	case res.AuditAnnotations["would-deny"] == "true":
		result = "would_deny"
	}
	m.decisions.WithLabelValues(result, res.Writer).Inc()
}
