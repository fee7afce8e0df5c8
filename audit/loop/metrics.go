package loop

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftgate/driftgate/audit"
)

// Metrics are the audit loop's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	drifted     *prometheus.GaugeVec
	backport    *prometheus.GaugeVec
	oldest      *prometheus.GaugeVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
	revision    *prometheus.GaugeVec
}

// NewMetrics registers the audit metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		drifted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_audit_drifted_objects",
			Help: "Objects out of sync with Git (drifted, missing or orphaned) at the last audit, by source, namespace and kind."},
			[]string{"source", "namespace", "kind"}),
		backport: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_backport_required_edits",
			Help: "Break-glass edits whose backport state is Required, by ticket."}, []string{"ticket"}),
		oldest: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_backport_required_oldest_timestamp_seconds",
			Help: "Unix time the oldest break-glass edit still Required was made, by ticket (alert on its age)."}, []string{"ticket"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "driftgate_audit_duration_seconds",
			Help: "Time to diff a source's manifests against the live objects.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)},
			[]string{"source"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_audit_last_success_timestamp_seconds",
			Help: "Unix time of the last audit against freshly fetched Git data, by source."}, []string{"source"}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_audit_revision_info",
			Help: "The Git revision last audited, by source (value 1)."}, []string{"source", "revision"}),
	}
	for _, c := range []prometheus.Collector{m.drifted, m.backport, m.oldest, m.duration, m.lastSuccess, m.revision} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) observeAudit(source string, rep *audit.Report, took time.Duration, revision string, now time.Time) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(source).Observe(took.Seconds())
	m.lastSuccess.WithLabelValues(source).Set(float64(now.Unix()))
	m.revision.DeletePartialMatch(prometheus.Labels{"source": source})
	m.revision.WithLabelValues(source, revision).Set(1)
	m.drifted.DeletePartialMatch(prometheus.Labels{"source": source})
	for _, o := range rep.Objects {
		if o.Status != audit.InSync {
			m.drifted.WithLabelValues(source, o.Namespace, o.Kind).Inc()
		}
	}
}

// backlog is a ticket's edits still Required: how many, and when the oldest was made.
type backlog struct {
	n      int
	oldest time.Time
}

func (b backlog) add(made time.Time) backlog {
	if b.n == 0 || made.Before(b.oldest) {
		b.oldest = made
	}
	b.n++
	return b
}

func (m *Metrics) observeBackports(byTicket map[string]backlog) {
	if m == nil {
		return
	}
	m.backport.Reset()
	m.oldest.Reset()
	for ticket, b := range byTicket {
		m.backport.WithLabelValues(ticket).Set(float64(b.n))
		m.oldest.WithLabelValues(ticket).Set(float64(b.oldest.Unix()))
	}
}

func (m *Metrics) forget(source string) {
	if m == nil {
		return
	}
	for _, v := range []*prometheus.GaugeVec{m.drifted, m.lastSuccess, m.revision} {
		v.DeletePartialMatch(prometheus.Labels{"source": source})
	}
	m.duration.DeletePartialMatch(prometheus.Labels{"source": source})
}
