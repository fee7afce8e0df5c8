package audit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/audit"
)

// TestAuditAndDiffCommands: `driftgate audit --once` and `driftgate diff --cluster` against the
// real API server report the same drift, with the Git revision; exit codes as the SPEC says.
func TestAuditAndDiffCommands(t *testing.T) {
	ns := cluster.Namespace(t, nil)
	g := newRepo(t)
	g.commit(t, "cache.yaml", deployment(ns, "cache", "shop/cache:v1", "1Gi"), "cache")
	rev := g.commit(t, "db.yaml", deployment(ns, "db", "shop/db:v1", "1Gi"), "db")
	fluxApply(t, deployment(ns, "cache", "shop/cache:v1", "1024Mi")) // same quantity, spelled otherwise
	fluxApply(t, deployment(ns, "db", "shop/db:v2", "1Gi"))
	kc := cluster.Kubeconfig(t)
	want := []string{
		"Deployment " + ns + "/cache in-sync",
		"Deployment " + ns + "/db drifted " + imagePath + " shop/db:v1 -> shop/db:v2",
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		revision string
	}{
		{"audit", []string{"audit", "--source", g.dir, "--once", "-o", "json"}, 0, rev},
		{"audit as a CI gate", []string{"audit", "--source", g.dir, "--once", "-o", "json", "--fail-on-drift"}, 1, rev},
		{"diff against the cluster", []string{"diff", "--desired", g.dir, "--cluster", "-o", "json"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cluster.RunCLI(t, kc, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			var r audit.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("output is not the JSON report: %v\n%s", err, out)
			}
			if r.Revision != tt.revision {
				t.Errorf("revision %q, want %q", r.Revision, tt.revision)
			}
			if diff := cmp.Diff(want, summarize(r, ns)); diff != "" {
				t.Errorf("objects of this test (-want +got):\n%s", diff)
			}
		})
	}

	_, errOut, code := cluster.RunCLI(t, kc, "audit", "--source", g.dir+"/missing", "--once")
	if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "missing") {
		t.Errorf("unreadable source: exit %d, stderr %q; want 2 and one line naming it", code, errOut)
	}
}

func summarize(r audit.Report, ns string) []string {
	var out []string
	for _, o := range r.Objects {
		if o.Namespace != ns {
			continue
		}
		line := o.Kind + " " + o.Namespace + "/" + o.Name + " " + string(o.Status)
		for _, f := range o.Fields {
			line += " " + f.Path + " " + toString(f.Desired) + " -> " + toString(f.Live)
		}
		out = append(out, line)
	}
	return out
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}
