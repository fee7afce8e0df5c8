package loop

import (
	"testing"
	"time"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

func TestCheckReconciling(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	tests := []struct {
		name              string
		attempted, offers string
		since             string
		want              bool
	}{
		{"the offered revision was tried", "main@sha1:b", "main@sha1:b", at(time.Hour), false},
		{"offered a while ago, untried for 3 intervals", "main@sha1:a", "main@sha1:b", at(30 * time.Second), true},
		{"offered recently: not yet 3 intervals", "main@sha1:a", "main@sha1:b", at(29 * time.Second), false},
		{"no time to go by", "main@sha1:a", "main@sha1:b", "", false},
		{"nothing offered", "main@sha1:a", "", at(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &v1alpha1.SyncStatus{AttemptedRevision: tt.attempted, AppliedRevision: tt.attempted}
			checkReconciling(s, tt.offers, tt.since, 10*time.Second, now)
			if s.NotReconciling != tt.want {
				t.Errorf("NotReconciling = %v, want %v", s.NotReconciling, tt.want)
			}
		})
	}
	if behind(&v1alpha1.SyncStatus{AppliedRevision: "main@sha1:abc", NotReconciling: true}, "abc") == false {
		t.Error("a controller not reconciling is not behind: its objects' drift would be blamed on people")
	}
}
