package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The results a decision is counted under.
const (
	resultAllowed    = "allowed"
	resultDenied     = "denied"
	resultWouldDeny  = "would_deny"
	resultBreakGlass = "break_glass"
	resultError      = "error"
)

// Metrics counts admission decisions.
type Metrics struct {
	decisions *prometheus.CounterVec
}

// NewMetrics registers the admission metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "driftgate_admission_decisions_total",
		Help: "Admission decisions by result (allowed, denied, would_deny in warn/dryrun mode, break_glass, error: denied because driftgate could not decide or record), " +
			"writer class and resource: empty but for writes to driftgate's own resources (breakglassgrants.driftgate.io, ...), which the break-glass rules decide without a writer class.",
	}, []string{"result", "writer", "resource"})}
	if err := reg.Register(m.decisions); err != nil {
		return nil, err
	}
	return m, nil
}

// observe counts a decision of the ownership policy.
func (m *Metrics) observe(res *Result) {
	result := resultAllowed
	switch {
	case res.Failed:
		result = resultError
	case !res.Allowed:
		result = resultDenied
	case res.Grant != "":
		result = resultBreakGlass
	case res.AuditAnnotations["would-deny"] == "true":
		result = resultWouldDeny
	}
	m.count(result, res.Writer, "")
}

// observeRules counts a decision of the break-glass rules on a write to one of driftgate's own
// resources (grants, edit records, GitSources); failed: the rules could not decide.
func (m *Metrics) observeRules(req *Request, allowed, failed bool) {
	result := resultDenied
	switch {
	case failed:
		result = resultError
	case allowed:
		result = resultAllowed
	}
	m.count(result, "", ownResource(req))
}

// observePanic counts a request whose deciding panicked.
func (m *Metrics) observePanic(req *Request) {
	m.count(resultError, "", ownResource(req))
}

func (m *Metrics) count(result, writer, resource string) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(result, writer, resource).Inc()
}

// ownResource is the resource label of a request: the resource of a write to driftgate's own
// resources (as few values as driftgate has CRDs), empty for any other write.
func ownResource(req *Request) string {
	if !isDriftgateResource(req) {
		return ""
	}
	return ResourceName(req.Resource.Group, req.Resource.Resource)
}
