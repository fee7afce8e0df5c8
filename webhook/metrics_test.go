package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/breakglass"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

// decision is one series of driftgate_admission_decisions_total.
type decision struct{ Result, Writer, Resource string }

// TestDecisionsAreCounted: every decision is counted, the break-glass rules' decisions on grants
// and edit records too, under the resource written and without a writer class.
func TestDecisionsAreCounted(t *testing.T) {
	const (
		grants = `"resource":{"group":"driftgate.io","version":"v1alpha1","resource":"breakglassgrants"},` +
			`"kind":{"group":"driftgate.io","version":"v1alpha1","kind":"BreakGlassGrant"},"name":"inc-1",`
		edits = `"resource":{"group":"driftgate.io","version":"v1alpha1","resource":"breakglassedits"},` +
			`"kind":{"group":"driftgate.io","version":"v1alpha1","kind":"BreakGlassEdit"},"name":"inc-1-u0",`
		alice = `"userInfo":{"username":"alice","groups":["system:authenticated"]},`
	)
	grant := func(requester string) string {
		return `{"apiVersion":"driftgate.io/v1alpha1","kind":"BreakGlassGrant","metadata":{"name":"inc-1"},` +
			`"spec":{"requester":"` + requester + `","reason":"wrong colour","ticket":"INC-1","duration":"1h",` +
			`"scope":{"namespaces":["demo"],"resources":["configmaps"]}}}`
	}
	edit := func(backport string) string {
		return `{"apiVersion":"driftgate.io/v1alpha1","kind":"BreakGlassEdit","metadata":{"name":"inc-1-u0"},` +
			`"spec":{"user":"alice"},"status":{"backport":"` + backport + `"}}`
	}
	tests := []struct {
		name    string
		noRules bool
		request string
		want    map[decision]float64
	}{{
		name:    "grant requested by its requester",
		request: `{"uid":"u1","operation":"CREATE",` + grants + alice + `"object":` + grant("alice") + `}`,
		want:    map[decision]float64{{"allowed", "", "breakglassgrants.driftgate.io"}: 1},
	}, {
		name:    "grant requested for someone else",
		request: `{"uid":"u1","operation":"CREATE",` + grants + alice + `"object":` + grant("bob") + `}`,
		want:    map[decision]float64{{"denied", "", "breakglassgrants.driftgate.io"}: 1},
	}, {
		name:    "edit record changed by a person",
		request: `{"uid":"u1","operation":"UPDATE",` + edits + alice + `"object":` + edit("Backported") + `,"oldObject":` + edit("Required") + `}`,
		want:    map[decision]float64{{"denied", "", "breakglassedits.driftgate.io"}: 1},
	}, {
		name:    "resolved edit record deleted",
		request: `{"uid":"u1","operation":"DELETE",` + edits + alice + `"oldObject":` + edit("Backported") + `}`,
		want:    map[decision]float64{{"allowed", "", "breakglassedits.driftgate.io"}: 1},
	}, {
		name:    "grant without break-glass rules",
		noRules: true,
		request: `{"uid":"u1","operation":"CREATE",` + grants + alice + `"object":` + grant("alice") + `}`,
		want:    map[decision]float64{{"error", "", "breakglassgrants.driftgate.io"}: 1},
	}, {
		name: "a person's write the ownership policy decides",
		request: `{"uid":"u1","operation":"CREATE","namespace":"demo","name":"app",` + alice +
			`"resource":{"version":"v1","resource":"configmaps"},"kind":{"version":"v1","kind":"ConfigMap"},` +
			`"object":{"metadata":{"name":"app","namespace":"demo"}}}`,
		want: map[decision]float64{{"allowed", "person", ""}: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			h := countingWebhook(t, reg, !tt.noRules)
			post(t, h, "application/json", reviewJSON(tt.request))
			if diff := cmp.Diff(tt.want, decisions(t, reg)); diff != "" {
				t.Errorf("decisions counted (-want +got):\n%s", diff)
			}
		})
	}
}

// countingWebhook is the real HTTP handler over an offline decider (no grants, enforce mode),
// counting its decisions in reg, with the default break-glass rules when rules is set.
func countingWebhook(t *testing.T, reg prometheus.Registerer, rules bool) *webhook.Handler {
	t.Helper()
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := &webhook.Handler{
		Decider: webhook.Offline(engine, cfg, clientgoscheme.Scheme, nil, config.ModeEnforce, nil, time.Now()),
		Exempt:  cfg.Exempt,
		Log:     logr.Discard(),
		Metrics: metrics,
	}
	if rules {
		if h.Rules, err = breakglass.NewRules(cfg); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// decisions are the values of driftgate_admission_decisions_total in reg, by series.
func decisions(t *testing.T, reg prometheus.Gatherer) map[decision]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[decision]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "driftgate_admission_decisions_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[decision{labels["result"], labels["writer"], labels["resource"]}] += m.GetCounter().GetValue()
		}
	}
	return out
}
