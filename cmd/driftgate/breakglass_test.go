package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestRefusedEscapes: a refusal's message (which may quote what a grant holds) is printed through
// printable too.
func TestRefusedEscapes(t *testing.T) {
	var out bytes.Buffer
	err := refused(&out, apierrors.NewForbidden(schema.GroupResource{Group: "driftgate.io", Resource: "breakglassgrants"}, "inc-1", errors.New("no\rforged")))
	if code, ok := err.(exitCode); !ok || code != 1 {
		t.Errorf("refused = %v, want exit code 1", err)
	}
	want := `refused: breakglassgrants.driftgate.io "inc-1" is forbidden: no\rforged` + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
}
