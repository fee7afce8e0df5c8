package policies

import (
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestTermCount checks that an input's value terms come from the one block termCount sizes.
func TestTermCount(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   Input
	}{
		{"empty", Input{}},
		{"full", Input{
			Groups:         []string{"a", "b"},
			ChangedPaths:   []string{"spec.replicas", "spec.template.spec.containers[name=app].image", "x"},
			GuardedChanges: []GuardedChange{{Path: "p", Kind: "marker"}, {Path: "q", Kind: "pauseSwitch"}},
			Grants:         []Grant{{Name: "g", ExpiresAt: at}, {Name: "h", ExpiresAt: at}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &inputBuilder{keys: newKeys(), terms: make([]ast.Term, 0, tt.in.termCount())}
			b.input(&tt.in)
			if len(b.terms) != tt.in.termCount() {
				t.Errorf("made %d terms, termCount says %d", len(b.terms), tt.in.termCount())
			}
		})
	}
}
