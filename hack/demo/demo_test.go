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
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit/loop"
	"github.com/driftgate/driftgate/internal/testutil"
)

// TestDemo runs the demo end to end, as `make demo` does but in a temporary state dir, with the
// real Flux controllers: it must succeed, tell the whole story (Flux applies the app from Git,
// a hand edit denied, self-approval refused, both edits Required, the fix live through Flux's
// reconciles under driftgate's protection, one edit Backported at the revision Flux applied,
// one Reverted, the protection lifted, READY TO CLOSE), write the HTML report, and leave nothing
// running.
func TestDemo(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test`, which builds kube-apiserver and etcd and sets it")
	}
	flux := os.Getenv("DRIFTGATE_FLUX")
	if flux == "" {
		t.Fatal("DRIFTGATE_FLUX is not set: run `make test`, which builds Flux's controllers (hack/flux.sh) and sets it")
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
		"--flux", flux, "--driftgate", driftgate, "--keep=false"}, &out)
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

// The numbered steps checkStory looks at.
const (
	stepFlux      = 2
	stepDenied    = 4
	stepGrant     = 5
	stepRequired  = 7
	stepSelfHeal  = 8
	stepBackport  = 9
	stepRevert    = 10
	stepReport    = 11
	appliedPrefix = "Applied revision: " + branch + "@sha1:"
	minReconciles = 2 // Flux reconciles alice's fix must live through
)

// checkStory checks that each step shows what the story is about.
func checkStory(t *testing.T, story string) {
	t.Helper()
	checkFluxApplied(t, section(story, stepFlux))
	mustSay(t, story, stepDenied, deniedByDriftgate, "alice is not a GitOps identity", requestedAt+"=")
	mustSay(t, story, stepGrant, "no one approves their own grant")
	if n := countLines(section(story, stepRequired), "Deployment shop/checkout", "Required"); n != 2 {
		t.Errorf("step %d lists %d edits Required, want 2", stepRequired, n)
	}
	if !backportColumn(section(story, stepRequired), "2") {
		t.Errorf("step %d shows no GitSource %s with 2 edits to backport", stepRequired, sourceName)
	}
	checkSelfHeal(t, section(story, stepSelfHeal))
	checkBackport(t, section(story, stepBackport))
	checkRevert(t, section(story, stepRevert))
	mustSay(t, story, stepReport, "**"+readyToClose+"**")
}

// checkFluxApplied: the real kustomize-controller applied the app from Git.
func checkFluxApplied(t *testing.T, text string) {
	t.Helper()
	if !hasLine(text, "kustomization.kustomize.toolkit.fluxcd.io/"+fluxName, "True", appliedPrefix) {
		t.Errorf("step %d shows no Kustomization Ready with an applied revision", stepFlux)
	}
	if !hasLine(text, "Deployment", deployment, fluxManager) {
		t.Errorf("step %d does not show the Deployment written by %s", stepFlux, fluxManager)
	}
}

// checkSelfHeal: the protection is shown on the Deployment, and alice's fix is live after each
// of at least two reconciles Flux handled.
func checkSelfHeal(t *testing.T, text string) {
	t.Helper()
	if !protectionShown(text, 2) {
		t.Errorf("step %d does not show the Deployment protected (disabled, %s) for both edits", stepSelfHeal, ticket)
	}
	if n := countLines(text, "$ kubectl annotate --overwrite kustomization", requestedAt+"="); n < minReconciles {
		t.Errorf("step %d requests %d Flux reconciles, want at least %d", stepSelfHeal, n, minReconciles)
	}
	if n := countLines(text, newImage, newMemory); n < minReconciles {
		t.Errorf("step %d shows alice's fix live %d times, want after each of at least %d reconciles", stepSelfHeal, n, minReconciles)
	}
}

// checkBackport: the commit is pushed, Flux applies it, the image edit is Backported at it and
// the Deployment stays protected for the memory edit alone.
func checkBackport(t *testing.T, text string) {
	t.Helper()
	rev := revision(t, text)
	if !hasLine(text, "kustomization.kustomize.toolkit.fluxcd.io/"+fluxName, "True", appliedPrefix+rev) {
		t.Errorf("step %d shows no Kustomization Ready at the backport's revision %s", stepBackport, rev)
	}
	if !hasLine(text, "Backported", rev) {
		t.Errorf("step %d shows no edit Backported at revision %s", stepBackport, rev)
	}
	if !protectionShown(text, 1) {
		t.Errorf("step %d does not show the Deployment still protected for the memory edit", stepBackport)
	}
}

// checkRevert: the memory edit and its revert are Reverted, the protection is gone, and Flux's
// next reconcile finds the Deployment as Git has it.
func checkRevert(t *testing.T, text string) {
	t.Helper()
	if n := countLines(text, "Deployment shop/checkout", "Reverted"); n != 2 {
		t.Errorf("step %d lists %d edits Reverted (the memory edit and its revert), want 2", stepRevert, n)
	}
	if !hasFields(text, "<none>", "<none>", "<none>") {
		t.Errorf("step %d does not show the protection annotations gone", stepRevert)
	}
	if !hasLine(text, newImage, oldMemory) {
		t.Errorf("step %d does not show the Deployment at %s, %s after Flux's reconcile", stepRevert, newImage, oldMemory)
	}
}

// hasFields reports whether a line of text is exactly the fields want.
func hasFields(text string, want ...string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if slices.Equal(strings.Fields(line), want) {
			return true
		}
	}
	return false
}

// protectionShown reports whether a line shows Flux's switch disabled for the ticket and n edits.
func protectionShown(text string, n int) bool {
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "disabled" && f[1] == ticket && len(strings.Split(f[2], ",")) == n {
			return true
		}
	}
	return false
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

// backportColumn reports whether a `kubectl get gitsources` row of the discovered source (NAME
// SOURCE-KIND REVISION DRIFTED PENDING BACKPORT READY AGE) has want under BACKPORT and is Ready.
func backportColumn(text, want string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 8 && f[0] == sourceName && f[1] == "Kustomization" && f[5] == want && f[6] == "True" {
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
	if len(started) != 6 {
		t.Errorf("the narration shows %d processes started, want 6 (etcd, kube-apiserver, driftgate, git-server, source-controller, kustomize-controller)", len(started))
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

// TestSourceNameIsDiscovered: the demo waits on the GitSource the audit keeps for its
// Kustomization, under the name discovery gives it.
func TestSourceNameIsDiscovered(t *testing.T) {
	if want := loop.DiscoveredName(v1alpha1.SourceKindKustomization, fluxNamespace, fluxName); sourceName != want {
		t.Errorf("sourceName = %q, discovery names it %q", sourceName, want)
	}
}
