package main

import "testing"

// TestAuditOptionsValidate: what cannot work is refused before anything is fetched or read.
func TestAuditOptionsValidate(t *testing.T) {
	base := auditOptions{source: "./deploy", output: "text", once: true, dryRun: true}
	with := func(f func(o *auditOptions)) auditOptions { o := base; f(&o); return o }
	tests := []struct {
		name    string
		o       auditOptions
		wantErr bool
	}{
		{"an audit", base, false},
		{"no source", with(func(o *auditOptions) { o.source = "" }), true},
		{"an unknown output", with(func(o *auditOptions) { o.output = "xml" }), true},
		{"a loop without an interval", with(func(o *auditOptions) { o.once = false }), true},
		{"--remediate --dry-run=false", with(func(o *auditOptions) { o.remediate, o.dryRun, o.dryRunSet = true, false, true }), false},
		{"--dry-run=false without --remediate", with(func(o *auditOptions) { o.dryRun, o.dryRunSet = false, true }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.o.validate(); (err != nil) != tt.wantErr {
				t.Errorf("validate() = %v, want an error: %v", err, tt.wantErr)
			}
		})
	}
}
