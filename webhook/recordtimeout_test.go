package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
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
// RecordTimeout has passed, never allowed unrecorded.
func TestUnrecordableWriteIsDeniedBeforeTheAPIServerGivesUp(t *testing.T) {
	cfg := config.Default()
	engine, err := policies.NewEngine(context.Background(), policies.Data(cfg), cfg.EvaluationTimeout(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &webhook.Handler{
		Decider:       webhook.Offline(engine, cfg, clientgoscheme.Scheme, nil, config.ModeWarn, nil, time.Now()),
		Exempt:        cfg.Exempt,
		Log:           logr.Discard(),
		Recorder:      stalledRecorder{},
		RecordTimeout: 50 * time.Millisecond,
	}
	owned := `{"metadata":{"name":"web","namespace":"prod","labels":{"kustomize.toolkit.fluxcd.io/name":"apps"}},"data":{"a":"%s"}}`
	resp := post(t, h, "application/json", reviewJSON(`{"uid":"u1","operation":"UPDATE","namespace":"prod","name":"web",`+
		`"kind":{"version":"v1","kind":"ConfigMap"},"resource":{"version":"v1","resource":"configmaps"},`+
		`"userInfo":{"username":"alice"},"object":`+strings.Replace(owned, "%s", "2", 1)+`,"oldObject":`+strings.Replace(owned, "%s", "1", 1)+`}`))
	if resp.Allowed {
		t.Fatalf("a write that could not be recorded was allowed: %+v", resp)
	}
	for _, want := range []string{"did not answer within 50ms", "retry shortly"} {
		if resp.Result == nil || !strings.Contains(resp.Result.Message, want) {
			t.Errorf("denial %q does not say %q", resp.Result.Message, want)
		}
	}
}

func TestRecordTimeoutLeavesTimeToAnswer(t *testing.T) {
	for _, tc := range []struct {
		seconds int32
		want    time.Duration
	}{
		{1, 500 * time.Millisecond},
		{3, 2500 * time.Millisecond},
		{30, 29500 * time.Millisecond},
	} {
		if got := webhook.RecordTimeout(tc.seconds); got != tc.want {
			t.Errorf("RecordTimeout(%d) = %s, want %s", tc.seconds, got, tc.want)
		}
	}
}
