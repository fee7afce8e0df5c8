package report

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// utc is t in UTC, to the second, as every time in a report.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// utcPtr is a metav1 time as a report time; nil or zero stays nil.
func utcPtr(t *metav1.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := utc(t.Time)
	return &u
}

// optional is a time that may be zero, as a report time.
func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := utc(t)
	return &u
}

// stamp is t as printed everywhere in reports: UTC RFC3339.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// shortDuration is "1h", "1h30m" or "45s" rather than Go's "1h0m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
