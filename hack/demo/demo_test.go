package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/internal/testutil"
)

// TestDemo runs the demo end to end, as `make demo` does but in a temporary state dir: it must
// succeed, tell the whole story (denied, self-approval refused, both edits Required, one
// Backported at the commit's revision, one Reverted, READY TO CLOSE), write the HTML report,
// and leave nothing running.
func TestDemo(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
	}
	root := repoRoot()
	kubectl := kubectlPath(t, root)
	tmp := t.TempDir()
	driftgate := testutil.MustBuildDriftgate(t, tmp)
	dir := filepath.Join(tmp, "demo")
	t.Chdir(root)
	t.Cleanup(func() { stopLeftovers(t, root, dir, assets) })

	var out bytes.Buffer
	err := run(context.Background(), []string{"--dir", dir, "--assets", assets, "--kubectl", kubectl,
		"--driftgate", driftgate, "--keep=false"}, &out)
	story := out.String()
	if err != nil {
		t.Fatalf("the demo failed: %v\nits narration:\n%s", err, story)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the demo's narration:\n%s", story)
		}
	})
	checkStory(t, story)
	checkHTML(t, layout{dir}.report(ticket))
	checkNothingRuns(t, story, dir)
}

// checkStory checks that each step shows what the story is about.
func checkStory(t *testing.T, story string) {
	t.Helper()
	mustSay(t, story, 4, deniedByDriftgate, "alice is not a GitOps identity")
	mustSay(t, story, 5, "no one approves their own grant")
	if n := countLines(section(story, 7), "Deployment shop/checkout", "Required"); n != 2 {
		t.Errorf("step 7 lists %d edits Required, want 2", n)
	}
	if !backportColumn(section(story, 7), "2") {
		t.Errorf("step 7 shows no GitSource shop with 2 edits to backport")
	}
	rev := revision(t, section(story, 8))
	if !hasLine(section(story, 8), "Backported", rev) {
		t.Errorf("step 8 shows no edit Backported at revision %s", rev)
	}
	if n := countLines(section(story, 9), "Deployment shop/checkout", "Reverted"); n != 2 {
		t.Errorf("step 9 lists %d edits Reverted (the memory edit and its revert), want 2", n)
	}
	mustSay(t, story, 10, "**"+readyToClose+"**")
}

func mustSay(t *testing.T, story string, step int, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(section(story, step), w) {
			t.Errorf("step %d does not say %q", step, w)
		}
	}
}

// section is the narration of one numbered step.
func section(story string, step int) string {
	_, rest, found := strings.Cut(story, fmt.Sprintf("\n%d. ", step))
	if !found {
		return ""
	}
	text, _, _ := strings.Cut(rest, fmt.Sprintf("\n%d. ", step+1))
	return text
}

func countLines(text string, all ...string) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		if containsAll(line, all) {
			n++
		}
	}
	return n
}

func hasLine(text string, all ...string) bool { return countLines(text, all...) > 0 }

func containsAll(line string, all []string) bool {
	for _, s := range all {
		if !strings.Contains(line, s) {
			return false
		}
	}
	return true
}

// backportColumn reports whether a `kubectl get gitsources` row of shop (NAME REVISION DRIFTED
// BACKPORT READY AGE) has want under BACKPORT and is Ready.
func backportColumn(text, want string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == sourceName && f[3] == want && f[4] == "True" {
			return true
		}
	}
	return false
}

// revision is the commit the backport step made, from its "[main REV] message" line.
func revision(t *testing.T, text string) string {
	t.Helper()
	m := regexp.MustCompile(`\[` + branch + ` ([0-9a-f]{12})\]`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the backport step shows no commit:\n%s", text)
	}
	return m[1]
}

func checkHTML(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the HTML report: %v", err)
	}
	if !bytes.Contains(raw, []byte(readyToClose)) {
		t.Errorf("the HTML report %s does not say %s", path, readyToClose)
	}
}

// checkNothingRuns: the processes the cluster started are gone, and the state dir has no
// cluster, pid file or state.json left.
func checkNothingRuns(t *testing.T, story, dir string) {
	t.Helper()
	started := regexp.MustCompile(`started (\S+) \(pid (\d+)`).FindAllStringSubmatch(story, -1)
	if len(started) != 3 {
		t.Errorf("the narration shows %d processes started, want 3 (etcd, kube-apiserver, driftgate)", len(started))
	}
	for _, m := range started {
		pid, _ := strconv.Atoi(m[2])
		if running(pid, m[1]) {
			t.Errorf("%s (pid %d) still runs after the demo", m[1], pid)
		}
	}
	if _, err := os.Stat(layout{dir}.cluster()); !os.IsNotExist(err) {
		t.Errorf("the demo left %s: %v", layout{dir}.cluster(), err)
	}
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && (strings.HasSuffix(path, ".pid") || d.Name() == "state.json") {
			t.Errorf("the demo left running state: %s", path)
		}
		return nil
	})
}

// running reports whether pid is a live process running the named binary.
func running(pid int, name string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	return filepath.Base(argv0) == name
}

// stopLeftovers stops a cluster a failed run left behind.
func stopLeftovers(t *testing.T, root, dir, assets string) {
	if _, err := os.Stat(layout{dir}.cluster()); err != nil {
		return
	}
	cmd := exec.Command("go", "run", "./hack/devcluster", "down", "--dir", layout{dir}.cluster())
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+assets)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("stopping the demo's cluster: %v\n%s", err, out)
	}
}

// kubectlPath runs hack/kubectl.sh, which builds kubectl once and prints its cached path.
func kubectlPath(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "hack", "kubectl.sh"))
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/kubectl.sh: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
