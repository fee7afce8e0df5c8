package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "INC-123 checkout pods OOMKilled", "INC-123 checkout pods OOMKilled"},
		{"printable Unicode kept", "héllo 日本 ✓ 🙂 «quoted» \"x\" 'y'", "héllo 日本 ✓ 🙂 «quoted» \"x\" 'y'"},
		{"ANSI escape", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"carriage return and newline", "ok\r\nApproved by security", `ok\r\nApproved by security`},
		{"backspace and tab", "a\bb\tc", `a\bb\tc`},
		{"C1 CSI, DEL", "\u009b2K\x7f", `\u009b2K\x7f`},
		{"bidi override, zero-width space, line separator", "a\u202eb\u200bc\u2028d", `a\u202eb\u200bc\u2028d`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"a backslash is escaped so that escapes read back", `C:\temp \n`, `C:\\temp \\n`},
		{"valid U+FFFD kept", "a\ufffdb", "a\ufffdb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, printable(tt.in)); diff != "" {
				t.Errorf("printable(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// hostileGrant is an active grant whose every free text tries to forge or hide lines on the
// approver's terminal.
func hostileGrant(t0 time.Time) *v1alpha1.BreakGlassGrant {
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: t0.Add(d)} }
	return &v1alpha1.BreakGlassGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "inc-1-mallory", CreationTimestamp: *at(-time.Hour)},
		Spec: v1alpha1.BreakGlassGrantSpec{
			Requester:  "mallory\x1b[8m",
			Reason:     "fix\r\x1b[2KReason: routine restart\nApprovals: security-team",
			Ticket:     "INC-1\b\b\b\b\bINC-9",
			Scope:      v1alpha1.GrantScope{Namespaces: []string{"prod\tdev"}, Resources: []string{"deployments.apps"}},
			Duration:   metav1.Duration{Duration: time.Hour},
			Approvals:  []v1alpha1.Approval{{User: "bob", Time: *at(-30 * time.Minute), Comment: "ok\u009b1A\u202e"}},
			Revocation: &v1alpha1.Revocation{User: "erin", Time: *at(-time.Minute), Reason: "done\x07"},
		},
		Status: v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantActive, ActivatedAt: at(-30 * time.Minute), ExpiresAt: at(30 * time.Minute),
			Conditions: []metav1.Condition{{Type: v1alpha1.ConditionActive, Message: "approved\x1b]0;title\x07"}}},
	}
}

func TestPrintGrantEscapesText(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)
	denied := hostileGrant(t0)
	denied.Spec.Approvals, denied.Spec.Revocation, denied.Status = nil, nil, v1alpha1.BreakGlassGrantStatus{Phase: v1alpha1.GrantDenied}
	denied.Spec.Denial = &v1alpha1.Denial{User: "bob", Time: metav1.Time{Time: t0}, Reason: "no\n\nApproved: yes"}
	edit := v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{v1alpha1.ObjectAnnotation: "Deployment prod/checkout\r\x1b[1A"}},
		Spec: v1alpha1.BreakGlassEditSpec{User: "mallory", Operation: "UPDATE", Time: metav1.Time{Time: t0},
			Changes: []v1alpha1.FieldChange{{Path: "metadata.annotations[\"a\nb\"]"}}},
		Status: v1alpha1.BreakGlassEditStatus{Backport: v1alpha1.BackportRequired},
	}
	tests := []struct {
		name  string
		grant *v1alpha1.BreakGlassGrant
		edits []v1alpha1.BreakGlassEdit
		want  string
	}{
		{"active, revoked, with an edit", hostileGrant(t0), []v1alpha1.BreakGlassEdit{edit}, `Name:       inc-1-mallory
Requester:  mallory\x1b[8m
Ticket:     INC-1\b\b\b\b\bINC-9
Reason:     fix\r\x1b[2KReason: routine restart\nApprovals: security-team
Scope:      namespaces prod\tdev; resources deployments.apps
Duration:   1h0m0s
Phase:      Active (approved\x1b]0;title\a)
Approvals:  bob at 2026-11-21T10:00:00Z: ok\u009b1A\u202e
Activated:  2026-11-21T10:00:00Z
Expires:    2026-11-21T11:00:00Z (no time left)
Revoked:    by erin at 2026-11-21T10:29:00Z done\a
Edits:      1

TIME                   USER      OPERATION   OBJECT                              CHANGED PATHS                  BACKPORT
2026-11-21T10:30:00Z   mallory   UPDATE      Deployment prod/checkout\r\x1b[1A   metadata.annotations["a\nb"]   Required
`},
		{"denied", denied, nil, `Name:       inc-1-mallory
Requester:  mallory\x1b[8m
Ticket:     INC-1\b\b\b\b\bINC-9
Reason:     fix\r\x1b[2KReason: routine restart\nApprovals: security-team
Scope:      namespaces prod\tdev; resources deployments.apps
Duration:   1h0m0s
Phase:      Denied
Approvals:  none
Denied:     by bob at 2026-11-21T10:30:00Z: no\n\nApproved: yes
Edits:      0
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := printGrant(&out, tt.grant, tt.edits, t0); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("printGrant (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrintGrantTableEscapesText(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)
	plain := hostileGrant(t0)
	plain.Name, plain.Spec.Requester, plain.Spec.Ticket = "inc-2-alice", "alice", "INC-2"
	plain.Spec.Revocation = nil
	var out bytes.Buffer
	if err := printGrantTable(&out, []v1alpha1.BreakGlassGrant{*hostileGrant(t0), *plain}, t0); err != nil {
		t.Fatal(err)
	}
	want := `NAME            REQUESTER        TICKET                 PHASE    EXPIRES   AGE
inc-1-mallory   mallory\x1b[8m   INC-1\b\b\b\b\bINC-9   Active   in 30m    60m
inc-2-alice     alice            INC-2                  Active   in 30m    60m
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("printGrantTable (-want +got):\n%s", diff)
	}
}

// TestPrintStructuredEscapesControls: -o json writes every control character as a \u escape
// (json.Marshal leaves DEL, C1 controls and bidi overrides raw) and still decodes to the grant;
// -o yaml works on such a grant (yaml refuses raw C1 controls and DEL) and escapes them.
func TestPrintStructuredEscapesControls(t *testing.T) {
	g := hostileGrant(time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC))
	g.Spec.Reason = "del\x7f csi\u009b2K bidi\u202e ansi\x1b[2K astral\U0001F642 crlf\r\n"
	for _, format := range []string{"json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			if err := printStructured(&out, format, g); err != nil {
				t.Fatal(err)
			}
			for _, r := range out.String() {
				if r != '\n' && r != '\u202e' && (r < 0x20 || r >= 0x7f && r < 0xa0) {
					t.Errorf("-o %s wrote the control character %U as it is:\n%s", format, r, out.String())
				}
			}
			if format == "json" && strings.ContainsRune(out.String(), '\u202e') {
				t.Errorf("-o json wrote U+202E as it is:\n%s", out.String())
			}
			var back v1alpha1.BreakGlassGrant
			var err error
			if format == "json" {
				err = json.Unmarshal(out.Bytes(), &back)
			} else {
				err = yaml.Unmarshal(out.Bytes(), &back)
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(g.Spec, back.Spec); diff != "" {
				t.Errorf("-o %s does not read back (-want +got):\n%s", format, diff)
			}
		})
	}
}
