package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
	"github.com/driftgate/driftgate/webhook"
)

// stalledRecorder is an API server that never answers: Record returns only when ctx ends.
type stalledRecorder struct{}

func (stalledRecorder) Record(ctx context.Context, _ *webhook.Request, _ *webhook.Result) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestUnrecordableWriteIsDeniedBeforeTheAPIServerGivesUp: a write that must be recorded (warn
// mode) while the API server does not answer is denied with a reason and a retry hint, once
// AnswerTimeout has passed, never allowed unrecorded.
func TestUnrecordableWriteIsDeniedBeforeTheAPIServerGivesUp(t *testing.T) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	metrics, err := webhook.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := &webhook.Handler{
		Metrics:       metrics,
		Decider:       webhook.Offline(engine, cfg, clientgoscheme.Scheme, nil, config.ModeWarn, nil, time.Now()),
		Exempt:        cfg.Exempt,
		Log:           logr.Discard(),
		Recorder:      stalledRecorder{},
		AnswerTimeout: 50 * time.Millisecond,
	}
	owned := `{"metadata":{"name":"web","namespace":"prod","labels":{"kustomize.toolkit.fluxcd.io/name":"apps"}},"data":{"a":"%s"}}`
	resp := post(t, h, "application/json", reviewJSON(`{"uid":"u1","operation":"UPDATE","namespace":"prod","name":"web",`+
		`"kind":{"version":"v1","kind":"ConfigMap"},"resource":{"version":"v1","resource":"configmaps"},`+
		`"userInfo":{"username":"alice"},"object":`+strings.Replace(owned, "%s", "2", 1)+`,"oldObject":`+strings.Replace(owned, "%s", "1", 1)+`}`))
	if resp.Allowed {
		t.Fatalf("a write that could not be recorded was allowed: %+v", resp)
	}
	for _, want := range []string{"did not answer within driftgate's 50ms deadline", "retry shortly"} {
		if resp.Result == nil || !strings.Contains(resp.Result.Message, want) {
			t.Errorf("denial %q does not say %q", resp.Result.Message, want)
		}
	}
	if n := personErrors(t, reg); n != 1 {
		t.Errorf("error decisions counted: %v, want 1", n)
	}
}

// personErrors is the decisions counter's value for result "error" and writer "person".
func personErrors(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["result"] == "error" && labels["writer"] == "person" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestAnswerTimeoutLeavesTimeToAnswer(t *testing.T) {
	for _, tc := range []struct {
		seconds int32
		want    time.Duration
	}{
		{1, 500 * time.Millisecond},
		{3, 2500 * time.Millisecond},
		{30, 29500 * time.Millisecond},
	} {
		if got := webhook.AnswerTimeout(tc.seconds); got != tc.want {
			t.Errorf("AnswerTimeout(%d) = %s, want %s", tc.seconds, got, tc.want)
		}
	}
}
