package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
)

// series is one sample of the Prometheus text format.
type series struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape is a metrics endpoint read at one moment.
type scrape []series

// sum adds the samples of name whose labels include every pair of match.
func (s scrape) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, x := range s {
		if x.matches(name, match) {
			total += x.value
		}
	}
	return total
}

// byLabel sums name's samples matching match, grouped by the value of label.
func (s scrape) byLabel(name, label string, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, x := range s {
		if x.matches(name, match) {
			out[x.labels[label]] += x.value
		}
	}
	return out
}

// matches reports whether x is a sample of name whose labels include every pair of match.
func (x series) matches(name string, match map[string]string) bool {
	if x.name != name {
		return false
	}
	for k, v := range match {
		if x.labels[k] != v {
			return false
		}
	}
	return true
}

// parseText reads the Prometheus text exposition format (what every endpoint here serves).
func parseText(r io.Reader) (scrape, error) {
	var out scrape
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		x, err := parseLine(line)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, sc.Err()
}

func parseLine(line string) (series, error) {
	x := series{labels: map[string]string{}}
	rest := line
	if i := strings.IndexAny(line, "{ "); i < 0 {
		return x, fmt.Errorf("metrics line without a value: %q", line)
	} else {
		x.name, rest = line[:i], line[i:]
	}
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, ", ")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.Index(rest, `="`)
			if eq < 0 {
				return x, fmt.Errorf("bad labels in %q", line)
			}
			key := rest[:eq]
			rest = rest[eq+2:]
			var val strings.Builder
			i := 0
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
					switch rest[i] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(rest[i])
					}
					continue
				}
				val.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return x, fmt.Errorf("unterminated label value in %q", line)
			}
			x.labels[key] = val.String()
			rest = rest[i+1:]
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return x, fmt.Errorf("metrics line without a value: %q", line)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return x, fmt.Errorf("bad value in %q: %w", line, err)
	}
	x.value = v
	return x, nil
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func scrapeHTTP(ctx context.Context, port int) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics on port %d: %s", port, resp.Status)
	}
	return parseText(resp.Body)
}

// scrapeAPIServer reads kube-apiserver's /metrics as the admin.
func scrapeAPIServer(ctx context.Context, cs kubernetes.Interface) (scrape, error) {
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver /metrics: %w", err)
	}
	return parseText(strings.NewReader(string(raw)))
}

// snapshot is every counter fluxbench reads around one reconcile.
type snapshot struct {
	// kustomize-controller: its own measure of the reconcile (fluxcd/pkg/runtime/metrics).
	// Argo CD: the operations' time (from its log) and its count of syncs.
	reconcileSum, reconcileCount float64
	argo                         argoCounters // Argo CD only
	// driftgate serve: admission decisions (by writer class), and the webhook handler's time.
	decisions        map[string]float64 // writer -> count, all results
	denied, errors   float64
	handlerSum       float64
	handlerCount     float64
	handlerNon200    float64
	apiWebhookSum    float64 // kube-apiserver: time spent calling driftgate's webhook
	apiWebhookCount  float64
	apiWebhookFailed float64 // calls answered with a code other than 200 (or none)
	// apiWebhookBuckets is that time's histogram: upper bound ("le") -> calls within it.
	apiWebhookBuckets map[string]float64
	// kube-apiserver: writes to the app's kinds, by verb, resource and dry run (all writers).
	writes map[string]float64
}

// appResources are the resources of examples/checkout, whose writes the snapshot counts.
var appResources = []string{"namespaces", "configmaps", "services", "deployments"}

var writeVerbs = []string{"POST", "PUT", "PATCH", "APPLY", "DELETE"}

const (
	webhookName        = "validate.driftgate.io"
	kustomizationKind  = "Kustomization"
	reconcileDurMetric = "gotk_reconcile_duration_seconds"
)

func (b *bench) snapshot(ctx context.Context) (snapshot, error) {
	var s snapshot
	if b.argo() {
		if err := b.argoSnapshot(ctx, &s); err != nil {
			return s, err
		}
	} else {
		k, err := scrapeHTTP(ctx, b.ports.KustomizeMetrics)
		if err != nil {
			return s, fmt.Errorf("kustomize-controller metrics: %w", err)
		}
		sel := map[string]string{"kind": kustomizationKind, "name": fluxName, "namespace": fluxNamespace}
		s.reconcileSum = k.sum(reconcileDurMetric+"_sum", sel)
		s.reconcileCount = k.sum(reconcileDurMetric+"_count", sel)
	}
	d, err := scrapeHTTP(ctx, b.ports.Metrics)
	if err != nil {
		return s, fmt.Errorf("driftgate metrics: %w", err)
	}
	s.decisions = d.byLabel("driftgate_admission_decisions_total", "writer", nil)
	s.denied = d.sum("driftgate_admission_decisions_total", map[string]string{"result": "denied"})
	s.errors = d.sum("driftgate_admission_decisions_total", map[string]string{"result": "error"})
	s.handlerSum = d.sum("controller_runtime_webhook_latency_seconds_sum", nil)
	s.handlerCount = d.sum("controller_runtime_webhook_latency_seconds_count", nil)
	s.handlerNon200 = d.sum("controller_runtime_webhook_requests_total", nil) - d.sum("controller_runtime_webhook_requests_total", map[string]string{"code": "200"})
	a, err := scrapeAPIServer(ctx, b.cs)
	if err != nil {
		return s, err
	}
	w := map[string]string{"name": webhookName}
	s.apiWebhookSum = a.sum("apiserver_admission_webhook_admission_duration_seconds_sum", w)
	s.apiWebhookCount = a.sum("apiserver_admission_webhook_admission_duration_seconds_count", w)
	s.apiWebhookFailed = a.sum("apiserver_admission_webhook_request_total", w) - a.sum("apiserver_admission_webhook_request_total", map[string]string{"name": webhookName, "code": "200"})
	s.apiWebhookBuckets = a.byLabel("apiserver_admission_webhook_admission_duration_seconds_bucket", "le", w)
	s.writes = map[string]float64{}
	for _, x := range a {
		if x.name != "apiserver_request_total" || !slices.Contains(appResources, x.labels["resource"]) ||
			!slices.Contains(writeVerbs, x.labels["verb"]) || x.labels["subresource"] != "" {
			continue
		}
		key := x.labels["verb"] + " " + x.labels["resource"]
		if x.labels["dry_run"] != "" {
			key += " (dry run)"
		}
		s.writes[key] += x.value
	}
	return s, nil
}

// delta is what happened between two snapshots.
type delta struct {
	ReconcileSeconds float64            `json:"reconcileSeconds"` // kustomize-controller's own measure
	Reconciles       float64            `json:"reconciles"`       // how many it finished (must be 1)
	Decisions        map[string]float64 `json:"admissionDecisions"`
	Denied           float64            `json:"denied"`
	Errors           float64            `json:"errors"`
	HandlerSeconds   float64            `json:"webhookHandlerSeconds"` // driftgate's handler, summed
	HandlerRequests  float64            `json:"webhookHandlerRequests"`
	HandlerNon200    float64            `json:"webhookHandlerNon200"`
	APIWebhookSecs   float64            `json:"apiserverWebhookSeconds"` // kube-apiserver's wait for driftgate, summed
	APIWebhookCalls  float64            `json:"apiserverWebhookCalls"`
	APIWebhookFailed float64            `json:"apiserverWebhookFailed"`
	// APIWebhookBuckets is kube-apiserver's histogram of that wait: upper bound in seconds
	// ("le") -> calls within it (apiserver_admission_webhook_admission_duration_seconds).
	APIWebhookBuckets map[string]float64 `json:"apiserverWebhookBuckets,omitempty"`
	// Writes are kube-apiserver's count of writes to the app's kinds (apiserver_request_total:
	// namespaces, configmaps, services, deployments; any writer, any namespace) by verb.
	Writes map[string]float64 `json:"apiserverWrites,omitempty"`
	// Argo CD: gitops-engine's sync (dry run and applies) from the controller's log, the
	// operations it logged (must be 1), and its comparisons with Git in the window.
	SyncPhaseSeconds float64 `json:"syncPhaseSeconds,omitempty"`
	Operations       float64 `json:"operations,omitempty"`
	Comparisons      float64 `json:"comparisons,omitempty"`
}

func diff(before, after snapshot) delta {
	d := delta{
		ReconcileSeconds: after.reconcileSum - before.reconcileSum,
		Reconciles:       after.reconcileCount - before.reconcileCount,
		Decisions:        map[string]float64{},
		Denied:           after.denied - before.denied,
		Errors:           after.errors - before.errors,
		HandlerSeconds:   after.handlerSum - before.handlerSum,
		HandlerRequests:  after.handlerCount - before.handlerCount,
		HandlerNon200:    after.handlerNon200 - before.handlerNon200,
		APIWebhookSecs:   after.apiWebhookSum - before.apiWebhookSum,
		APIWebhookCalls:  after.apiWebhookCount - before.apiWebhookCount,
		APIWebhookFailed: after.apiWebhookFailed - before.apiWebhookFailed,
	}
	for w, n := range after.decisions {
		if v := n - before.decisions[w]; v != 0 {
			d.Decisions[w] = v
		}
	}
	for le, n := range after.apiWebhookBuckets {
		if d.APIWebhookBuckets == nil {
			d.APIWebhookBuckets = map[string]float64{}
		}
		d.APIWebhookBuckets[le] = n - before.apiWebhookBuckets[le]
	}
	for k, n := range after.writes {
		if v := n - before.writes[k]; v != 0 {
			if d.Writes == nil {
				d.Writes = map[string]float64{}
			}
			d.Writes[k] = v
		}
	}
	d.SyncPhaseSeconds = after.argo.syncPhaseSeconds - before.argo.syncPhaseSeconds
	d.Operations = after.argo.operations - before.argo.operations
	d.Comparisons = after.argo.comparisons - before.argo.comparisons
	return d
}
