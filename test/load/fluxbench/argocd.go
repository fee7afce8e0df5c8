package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/driftgate/driftgate/internal/gitwork"
	"github.com/go-git/go-git/v5/plumbing"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// The GitOps controllers fluxbench measures (--gitops).
const (
	gitopsFlux   = "flux"
	gitopsArgoCD = "argocd"
)

// Argo CD's objects: an Application in devcluster's Argo CD namespace, deploying the same
// directory to the cluster Argo CD runs in (hack/devcluster/gitops.go).
const (
	argoNamespace   = "argocd"
	argoApp         = "shop"
	argoDestination = "https://kubernetes.default.svc"
	// argoControllerLog is devcluster's log of the application controller (--logformat json).
	argoControllerLog = "argocd-application-controller.log"
	// argoInitiator names fluxbench in the operations it requests; the operation's info carries a
	// token per sync, so that the watch knows its own sync's result.
	argoInitiator = "fluxbench"
	// The second commit of --change: the ConfigMap's LOG_LEVEL and the Deployment's image differ.
	changedImage = "registry.example.com/checkout:v1.2.4"
)

var applicationGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// setup pushes the app, points driftgate's audit and the GitOps controller at it, and records
// what the first sync sent through driftgate.
func (b *bench) setup(ctx context.Context) error {
	if b.argo() {
		return b.setupArgo(ctx)
	}
	return b.setupFlux(ctx)
}

// reconcile requests one reconcile (Flux) or sync (Argo CD) and waits until it is done, filling
// in s's wall time (and Argo CD's startedAt/finishedAt).
func (b *bench) reconcile(ctx context.Context, s *sample) error {
	if b.argo() {
		return b.syncArgo(ctx, b.nextRevision(), s)
	}
	wall, err := b.reconcileFlux(ctx)
	s.Wall = wall.Seconds()
	return err
}

// application is the Application for the app: manual sync (no automated policy: only the syncs
// fluxbench requests run; the controller still compares it with Git every 10 s). The directory
// is read as plain manifests without its kustomization.yaml, which Argo CD would otherwise render
// with a kustomize binary the dev cluster does not have; the kustomization lists every file
// anyway.
func (b *bench) application() *unstructured.Unstructured {
	policy := map[string]any{}
	if len(b.o.syncOptions) > 0 {
		policy["syncOptions"] = anyList(b.o.syncOptions)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": argoApp, "namespace": argoNamespace},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{"repoURL": b.gitURL, "targetRevision": gitwork.Branch, "path": appDir,
				"directory": map[string]any{"exclude": "kustomization.yaml"}},
			"destination": map[string]any{"server": argoDestination},
			"syncPolicy":  policy,
		},
	}}
	return app
}

func anyList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// setupArgo pushes the app, creates the GitSource and the Application, requests the first sync
// and records what it sent through driftgate. With --change it then pushes the second commit.
func (b *bench) setupArgo(ctx context.Context) error {
	b.argoLog = &logTail{path: filepath.Join(b.clusterDir(), argoControllerLog)}
	h, err := b.pushApp()
	if err != nil {
		return err
	}
	if err := b.createGitSource(ctx); err != nil {
		return err
	}
	b.revisions = []string{h.String()}
	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := b.dyn.Resource(applicationGVR).Namespace(argoNamespace).Create(ctx, b.application(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the Application: %w", err)
	}
	var first sample
	if err := b.syncArgo(ctx, h.String(), &first); err != nil {
		return err
	}
	took := time.Since(start)
	// The Application's first comparison and the one Argo CD requests after the sync run too;
	// wait until nothing moves before reading the counters.
	after, err := b.settledSnapshot(ctx)
	if err != nil {
		return err
	}
	d := diff(before, after)
	b.res.FirstSync = firstSync{Wall: took.Seconds(), delta: d, StartedToFinished: first.StartedToFinished}
	fmt.Fprintf(b.out, "Argo CD synced %s in %s: %.0f syncs, %.0f comparisons, %.0f admission requests to driftgate (by writer: %v), %.0f denied; writes: %v\n",
		h.String()[:12], took.Round(time.Millisecond), d.Reconciles, d.Comparisons, d.APIWebhookCalls, d.Decisions, d.Denied, d.Writes)
	if err := b.waitGitSourceInSync(ctx); err != nil {
		return err
	}
	if !b.o.change {
		return nil
	}
	changed, err := b.pushChange()
	if err != nil {
		return err
	}
	// Measured syncs alternate: the change, then back, and so on.
	b.revisions = []string{changed.String(), h.String()}
	fmt.Fprintf(b.out, "pushed %s (ConfigMap LOG_LEVEL debug, image %s); syncs alternate between %s and %s\n",
		changed.String()[:12], changedImage, changed.String()[:12], h.String()[:12])
	return nil
}

// pushChange commits and pushes the second revision of --change.
func (b *bench) pushChange() (plumbing.Hash, error) {
	if err := b.repo.Replace(appDir+"/configmap.yaml", "LOG_LEVEL: info", "LOG_LEVEL: debug"); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := b.repo.Replace(manifestFile, firstImage, changedImage); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := b.repo.CommitAll("checkout " + changedImage + ", LOG_LEVEL debug")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return h, b.push()
}

// nextRevision is the commit the next sync applies: always the same one, or with --change the
// two in turn.
func (b *bench) nextRevision() string {
	r := b.revisions[b.syncs%len(b.revisions)]
	b.syncs++
	return r
}

// syncArgo requests one sync of the Application at rev, as `argocd app sync --revision` does
// (Argo CD's API server sets the Application's operation, with the Application's sync options),
// and waits until the watch shows the operation Succeeded. It records the wall time from the
// request to that watch event and the operation's finishedAt - startedAt (whole seconds: the
// API's timestamps have no finer resolution).
func (b *bench) syncArgo(ctx context.Context, rev string, s *sample) error {
	apps := b.dyn.Resource(applicationGVR).Namespace(argoNamespace)
	cur, err := apps.Get(ctx, argoApp, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if op, ok, _ := unstructured.NestedMap(cur.Object, "operation"); ok && op != nil {
		return fmt.Errorf("the Application has an operation in progress: %v", op)
	}
	w, err := apps.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + argoApp, ResourceVersion: cur.GetResourceVersion()})
	if err != nil {
		return fmt.Errorf("watching the Application: %w", err)
	}
	defer w.Stop()
	token := time.Now().UTC().Format(time.RFC3339Nano)
	syncOp := map[string]any{"revision": rev}
	if len(b.o.syncOptions) > 0 {
		syncOp["syncOptions"] = b.o.syncOptions
	}
	patch, err := json.Marshal(map[string]any{"operation": map[string]any{
		"initiatedBy": map[string]any{"username": argoInitiator},
		"info":        []any{map[string]any{"name": argoInitiator, "value": token}},
		"sync":        syncOp,
	}})
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := apps.Patch(ctx, argoApp, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("requesting a sync: %w", err)
	}
	timeout := time.After(b.o.timeout)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("the watch on the Application ended before the sync %s finished", token)
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("watch error: %v", ev.Object)
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			st := readOperationState(u)
			if st.token != token || !slices.Contains([]string{"Succeeded", "Failed", "Error"}, st.phase) {
				continue
			}
			if st.phase != "Succeeded" {
				return fmt.Errorf("the sync of %s ended %s: %s", rev, st.phase, st.message)
			}
			s.Wall = time.Since(start).Seconds()
			d := st.finished.Sub(st.started).Seconds()
			s.StartedToFinished = &d
			return nil
		case <-timeout:
			return fmt.Errorf("the Application did not finish the sync %s within %s", token, b.o.timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// operationState is what fluxbench reads of status.operationState.
type operationState struct {
	token, phase, message string
	started, finished     time.Time
}

func readOperationState(u *unstructured.Unstructured) operationState {
	var st operationState
	op, _, _ := unstructured.NestedMap(u.Object, "status", "operationState")
	if op == nil {
		return st
	}
	st.phase, _, _ = unstructured.NestedString(op, "phase")
	st.message, _, _ = unstructured.NestedString(op, "message")
	info, _, _ := unstructured.NestedSlice(op, "operation", "info")
	for _, i := range info {
		if m, _ := i.(map[string]any); m["name"] == argoInitiator {
			st.token, _ = m["value"].(string)
		}
	}
	for key, t := range map[string]*time.Time{"startedAt": &st.started, "finishedAt": &st.finished} {
		v, _, _ := unstructured.NestedString(op, key)
		*t, _ = time.Parse(time.RFC3339, v)
	}
	return st
}

// argoCounters are what fluxbench counts of Argo CD: syncs from its metrics, the rest from the
// application controller's log, where its own durations are (its metrics have none finer than a
// second: argocd_app_sync_duration_seconds_total adds finishedAt - startedAt in whole seconds).
type argoCounters struct {
	operations       float64 // "Finished processing requested app operation" lines
	operationSeconds float64 // their time_ms: the whole operation, startedAt to finishedAt
	syncPhases       float64 // "sync/terminate complete" lines
	syncPhaseSeconds float64 // their duration: the dry run and the applies (gitops-engine's Sync)
	comparisons      float64 // "Reconciliation completed" lines: comparisons with Git
	// comparisonsAfterSync counts the comparisons logged after the last "sync/terminate
	// complete": Argo CD requests one when a sync ends.
	comparisonsAfterSync int
}

// logTail reads a JSON log as it grows and keeps running totals of the app's lines.
type logTail struct {
	path    string
	offset  int64
	partial []byte
	totals  argoCounters
}

// argoLogLine is the part of an application controller log line fluxbench reads.
type argoLogLine struct {
	Application string  `json:"application"`
	Namespace   string  `json:"app-namespace"`
	Msg         string  `json:"msg"`
	TimeMS      float64 `json:"time_ms"`
	Duration    float64 `json:"duration"` // nanoseconds (a time.Duration, logrus's JSON)
	Phase       string  `json:"phase"`
}

func (t *logTail) read() (argoCounters, error) {
	f, err := os.Open(t.path)
	if err != nil {
		return t.totals, err
	}
	defer f.Close()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return t.totals, err
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return t.totals, err
	}
	t.offset += int64(len(raw))
	raw = append(t.partial, raw...)
	last := bytes.LastIndexByte(raw, '\n')
	t.partial = slices.Clone(raw[last+1:])
	for line := range strings.SplitSeq(string(raw[:last+1]), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l argoLogLine
		if json.Unmarshal([]byte(line), &l) != nil || l.Application != argoApp || l.Namespace != argoNamespace {
			continue
		}
		switch l.Msg {
		case "Finished processing requested app operation":
			t.totals.operations++
			t.totals.operationSeconds += l.TimeMS / 1000
		case "sync/terminate complete":
			t.totals.syncPhases++
			t.totals.syncPhaseSeconds += l.Duration / 1e9
			t.totals.comparisonsAfterSync = 0
		case "Reconciliation completed":
			t.totals.comparisons++
			t.totals.comparisonsAfterSync++
		}
	}
	return t.totals, nil
}

// argoSnapshot reads Argo CD's counters into s: the syncs it counted (argocd_app_sync_total, all
// phases) as the reconcile count, the operations' own time as the reconcile duration.
func (b *bench) argoSnapshot(ctx context.Context, s *snapshot) error {
	m, err := scrapeHTTP(ctx, b.ports.ArgoControllerMetrics)
	if err != nil {
		return fmt.Errorf("argocd-application-controller metrics: %w", err)
	}
	s.reconcileCount = m.sum("argocd_app_sync_total", map[string]string{"name": argoApp, "namespace": argoNamespace, "dry_run": "false"})
	if s.argo, err = b.argoLog.read(); err != nil {
		return fmt.Errorf("argocd-application-controller's log: %w", err)
	}
	s.reconcileSum = s.argo.operationSeconds
	return nil
}

// argoCounted says whether Argo CD has finished the sync requested after before: counted it,
// logged the operation's end, and compared the Application with Git after it (the comparison it
// requests when a sync ends, so that its requests, if any, fall in the sync's window).
func argoCounted(before, after snapshot) (bool, string) {
	done := after.reconcileCount > before.reconcileCount && after.argo.operations > before.argo.operations &&
		after.argo.syncPhases > before.argo.syncPhases && after.argo.comparisonsAfterSync > 0
	return done, fmt.Sprintf("syncs %v, operations logged %v, comparisons after the sync %d",
		after.reconcileCount-before.reconcileCount, after.argo.operations-before.argo.operations, after.argo.comparisonsAfterSync)
}
