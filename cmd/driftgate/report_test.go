package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/server"
	"github.com/driftgate/driftgate/report"
)

func testEdit(name, ticket string, state v1alpha1.BackportState) *v1alpha1.BreakGlassEdit {
	return &v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.BreakGlassEditSpec{Grant: "g-" + ticket, Ticket: ticket, User: "alice", Operation: "UPDATE",
			Time:   metav1.NewTime(time.Date(2026, 11, 21, 10, 5, 0, 0, time.UTC)),
			Object: v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: "prod", Name: "checkout"}},
		Status: v1alpha1.BreakGlassEditStatus{Backport: state},
	}
}

// listFails makes listing one kind fail with err.
func listFails(kind client.ObjectList, err error) interceptor.Funcs {
	return interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
		if reflect.TypeOf(list) == reflect.TypeOf(kind) {
			return err
		}
		return c.List(ctx, list, opts...)
	}}
}

// TestReportCommand runs driftgate report against a fake API server: exit status 0 ready, 1 not
// ready, 2 error; Git sources that cannot be read leave other drift unknown.
func TestReportCommand(t *testing.T) {
	gr := schema.GroupResource{Group: "driftgate.io", Resource: "gitsources"}
	tests := []struct {
		name      string
		opts      reportOptions
		fail      func() interceptor.Funcs
		wantCode  int
		wantOut   string
		wantErr   string
		wantDrift *report.OtherDrift
	}{
		{name: "ready", opts: reportOptions{ticket: "INC-1"}, wantCode: 0, wantOut: "**READY TO CLOSE**"},
		{name: "not ready", opts: reportOptions{ticket: "INC-2"}, wantCode: 1, wantOut: "**NOT READY**"},
		{name: "unknown ticket", opts: reportOptions{ticket: "INC-0"}, wantCode: 2, wantErr: "no break-glass grants or edits for ticket INC-0"},
		{name: "all open", opts: reportOptions{allOpen: true}, wantCode: 1, wantOut: "1 ticket(s) have edits still to backport or revert: `INC-2`."},
		{name: "nothing open in the window", opts: reportOptions{allOpen: true, until: "2026-11-21T10:00:00Z"}, wantCode: 0, wantOut: "No open tickets"},
		{name: "no ticket", opts: reportOptions{}, wantCode: 2, wantErr: "name the ticket with --ticket ID, or use --all-open"},
		{name: "since after until", opts: reportOptions{ticket: "INC-1", since: "2026-11-22T00:00:00Z", until: "2026-11-21T00:00:00Z"}, wantCode: 2,
			wantErr: "--since 2026-11-22T00:00:00Z is after --until 2026-11-21T00:00:00Z"},
		{name: "GitSources forbidden", opts: reportOptions{ticket: "INC-1", output: "json"}, wantCode: 0,
			fail: func() interceptor.Funcs {
				return listFails(&v1alpha1.GitSourceList{}, apierrors.NewForbidden(gr, "", errors.New("RBAC")))
			},
			wantDrift: &report.OtherDrift{Note: "listing GitSources is forbidden for this identity", Objects: []report.DriftedItem{}}},
		{name: "GitSource API absent", opts: reportOptions{ticket: "INC-1", output: "json"}, wantCode: 0,
			fail: func() interceptor.Funcs {
				return listFails(&v1alpha1.GitSourceList{}, &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "driftgate.io", Kind: "GitSource"}})
			},
			wantDrift: &report.OtherDrift{Note: "the GitSource API is not installed in this cluster", Objects: []report.DriftedItem{}}},
		{name: "cluster unreachable", opts: reportOptions{ticket: "INC-1"}, wantCode: 2, wantErr: "listing break-glass grants: connection refused",
			fail: func() interceptor.Funcs {
				return listFails(&v1alpha1.BreakGlassGrantList{}, errors.New("connection refused"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var funcs interceptor.Funcs
			if tt.fail != nil {
				funcs = tt.fail()
			}
			out, err := runFake(t, tt.opts, funcs)
			if code := exitOf(err); code != tt.wantCode || (tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("exit %d (%v), want %d with %q\n%s", code, err, tt.wantCode, tt.wantErr, out)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
			if tt.wantDrift != nil {
				var r report.Report
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(*tt.wantDrift, r.OtherDrift); diff != "" {
					t.Errorf("other drift (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func runFake(t *testing.T, o reportOptions, funcs interceptor.Funcs) (string, error) {
	t.Helper()
	scheme, err := server.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(funcs).
		WithObjects(testEdit("e1", "INC-1", v1alpha1.Backported), testEdit("e2", "INC-2", v1alpha1.BackportRequired)).Build()
	if o.output == "" {
		o.output = "markdown"
	}
	var out bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	cmd.SetContext(context.Background())
	err = runReport(cmd, o, func() (client.Reader, error) { return c, nil })
	return out.String(), err
}

// exitOf is the exit status execute gives err.
func exitOf(err error) int {
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	}
	return 2
}
