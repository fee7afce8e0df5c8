package loop

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
)

// Metrics are the audit loop's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	drifted     *prometheus.GaugeVec
	pending     *prometheus.GaugeVec
	notSynced   *prometheus.GaugeVec
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
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_audit_pending_objects",
			Help: "Objects that differ from Git only because the source's GitOps controller has not applied the revision audited (its sync failing or pending, or the controller not reconciling), at the last audit, by source, namespace and kind; not counted as drifted."},
			[]string{"source", "namespace", "kind"}),
		notSynced: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "driftgate_source_not_synced",
			Help: "1 while the GitOps controller of a discovered source has not applied what Git declares, by source and the Synced condition's reason (SyncFailing, SyncPending, ControllerNotReconciling)."},
			[]string{"source", "reason"}),
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
	for _, c := range []prometheus.Collector{m.drifted, m.pending, m.notSynced, m.backport, m.oldest, m.duration, m.lastSuccess, m.revision} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observeAudit records an audit's result; the pending objects count as pending, not drifted.
func (m *Metrics) observeAudit(source string, rep *audit.Report, pending map[live.Key]bool, took time.Duration, revision string, now time.Time) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(source).Observe(took.Seconds())
	m.lastSuccess.WithLabelValues(source).Set(float64(now.Unix()))
	m.revision.DeletePartialMatch(prometheus.Labels{"source": source})
	m.revision.WithLabelValues(source, revision).Set(1)
	m.drifted.DeletePartialMatch(prometheus.Labels{"source": source})
	m.pending.DeletePartialMatch(prometheus.Labels{"source": source})
	for _, o := range rep.Objects {
		switch {
		case o.Status == audit.InSync:
		case pending[reportKey(o)]:
			m.pending.WithLabelValues(source, o.Namespace, o.Kind).Inc()
		default:
			m.drifted.WithLabelValues(source, o.Namespace, o.Kind).Inc()
		}
	}
}

// observeSync records the source's Synced condition: nil for a source no controller applies.
func (m *Metrics) observeSync(source string, synced *metav1.Condition) {
	if m == nil {
		return
	}
	m.notSynced.DeletePartialMatch(prometheus.Labels{"source": source})
	if synced != nil && synced.Status != metav1.ConditionTrue {
		m.notSynced.WithLabelValues(source, synced.Reason).Set(1)
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
	for _, v := range []*prometheus.GaugeVec{m.drifted, m.pending, m.notSynced, m.lastSuccess, m.revision} {
		v.DeletePartialMatch(prometheus.Labels{"source": source})
	}
	m.duration.DeletePartialMatch(prometheus.Labels{"source": source})
}
