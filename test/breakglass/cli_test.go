package breakglass_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/testutil"
)

func TestCLI(t *testing.T) {
	kc := cluster.Kubeconfig(t)
	ns := cluster.Namespace(t, nil)
	out, errOut, code := cluster.RunCLI(t, kc, "breakglass", "request", "--as", "alice", "-n", ns, "--resource", "deployments.apps",
		"--for", "30m", "--ticket", "INC-77", "--reason", "hotfix")
	if code != 0 {
		t.Fatalf("request: exit %d: %s%s", code, out, errOut)
	}
	m := regexp.MustCompile(`breakglassgrant/(\S+) requested by alice`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("request printed %q", out)
	}
	name := m[1]
	t.Cleanup(func() { _, _, _ = cluster.RunCLI(t, kc, "breakglass", "revoke", name, "--as", "alice") })

	if out, errOut, code := cluster.RunCLI(t, kc, "breakglass", "approve", name, "--as", "alice", "--as-group", approvers); code != 1 || !strings.Contains(out+errOut, "no one approves their own grant") {
		t.Errorf("self-approval: exit %d, %s%s; want exit 1 naming the rule", code, out, errOut)
	}
	if out, errOut, code := cluster.RunCLI(t, kc, "breakglass", "approve", name, "--as", "bob", "--as-group", approvers, "--comment", "ok"); code != 0 {
		t.Fatalf("approve: exit %d: %s%s", code, out, errOut)
	}
	waitPhase(t, name, v1alpha1.GrantActive)

	out, _, code = cluster.RunCLI(t, kc, "breakglass", "list", "--as", "alice")
	if code != 0 || !regexp.MustCompile(name+`\s+alice\s+INC-77\s+Active\s+in 2\dm`).MatchString(out) {
		t.Errorf("list: exit %d:\n%s", code, out)
	}
	out, _, code = cluster.RunCLI(t, kc, "breakglass", "show", name, "--as", "alice")
	for _, want := range []string{"Requester:  alice", "Approvals:  bob at ", ": ok", "Phase:      Active (approved by 1 of 1 required approvers)", "left)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show: exit %d, want %q in:\n%s", code, want, out)
		}
	}
	out, _, _ = cluster.RunCLI(t, kc, "breakglass", "show", name, "-o", "json", "--as", "alice")
	var shown struct {
		Grant v1alpha1.BreakGlassGrant `json:"grant"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Grant.Name != name {
		t.Errorf("show -o json: %v\n%s", err, out)
	}
	if _, errOut, code := cluster.RunCLI(t, kc, "breakglass", "list", "-o", "xml"); code != 2 || !strings.HasPrefix(errOut, "driftgate: -o \"xml\": want json or yaml") {
		t.Errorf("bad -o: exit %d, stderr %q", code, errOut)
	}
	if out, errOut, code := cluster.RunCLI(t, kc, "breakglass", "revoke", name, "--as", "carol"); code != 1 || !strings.Contains(out+errOut, "only the requester, an approver or an admin") {
		t.Errorf("carol revoking: exit %d, %s%s", code, out, errOut)
	}
	if out, errOut, code := cluster.RunCLI(t, kc, "breakglass", "revoke", name, "--as", "alice", "--reason", "done"); code != 0 {
		t.Fatalf("revoke: exit %d: %s%s", code, out, errOut)
	}
	testutil.WaitFor(t, "list to show the grant Revoked", func() bool {
		out, _, _ := cluster.RunCLI(t, kc, "breakglass", "list")
		return strings.Contains(out, "Revoked")
	})
}
