package protect

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// Metrics are the self-heal protection's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	protected prometheus.Gauge
	mu        sync.Mutex
	held      map[string]bool
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		protected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "driftgate_self_heal_protected_objects",
			Help: "Objects on which driftgate holds Flux's reconcile switch for a Required break-glass edit."}),
		held: map[string]bool{},
	}
	if err := reg.Register(m.protected); err != nil {
		return nil, err
	}
	return m, nil
}

// set notes whether the object is held.
func (m *Metrics) set(object string, held bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if held {
		m.held[object] = true
	} else {
		delete(m.held, object)
	}
	m.protected.Set(float64(len(m.held)))
}

// objectKey names an edited object in the metrics, as pauseTarget.key names a target.
func objectKey(ref v1alpha1.ObjectReference) string {
	return keyOf(ref.APIVersion, ref.Kind, ref.Namespace, ref.Name)
}

func keyOf(apiVersion, kind, namespace, name string) string {
	return apiVersion + "/" + kind + "/" + namespace + "/" + name
}
