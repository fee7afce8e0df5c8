package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/driftgate/driftgate/protect"
	"github.com/driftgate/driftgate/test/benchkit"
	"github.com/driftgate/driftgate/test/loadgen"
)

// What the API server sees (issue 22, section 2): writes to GitOps-owned Deployments at fixed
// rates (--writes), with driftgate's webhook registered ("on") and removed ("off"), in ABBA
// order, timed by the client. The writes take turns among four kinds: alice under an approved
// break-glass grant and Flux's kustomize-controller (its own token), each by a client-go update
// (PUT) and by a server-side apply. Each kind writes a Deployment of its own, the load tool's
// ~14 KB one, labelled as Flux's, in a namespace of its own whose break-glass edits driftgate's
// self-heal protection leaves alone (it would otherwise pause Flux on those objects, writing
// them itself). Every write changes one annotation; an update sends the whole object, without a
// resourceVersion (unconditional, as Deployments allow), an apply only that annotation (forced).
// alice's writes are recorded (a BreakGlassEdit each) while the webhook is on, as in a cluster.
const (
	writesNamespace = "driftgate-bench"
	writesTicket    = "BENCH-WRITES"
	writeAnnotation = "bench.driftgate.io/write"
	writesImage     = "registry.example.com/checkout:v1.2.3"
)

// writeKind is who writes and how.
type writeKind struct {
	Who   string `json:"who"` // "alice" (under a grant) or "flux"
	How   string `json:"how"` // "update" or "apply"
	Name  string `json:"deployment"`
	write func(ctx context.Context, seq int) error
}

func (k writeKind) String() string {
	who := "alice, under a grant"
	if k.Who == "flux" {
		who = "Flux's kustomize-controller"
	}
	how := "client-go update (PUT)"
	if k.How == "apply" {
		how = "server-side apply"
	}
	return who + ", " + how
}

// writeSample is one write.
type writeSample struct {
	Kind    int     `json:"kind"`    // index in the run's write kinds
	Seconds float64 `json:"seconds"` // the client's time from sending it to the answer
	Error   string  `json:"error,omitempty"`
}

// writeWindow is the writes at one rate in one arm, and what the API server and driftgate
// counted meanwhile.
type writeWindow struct {
	Arm     string        `json:"arm"`
	Rate    int           `json:"rate"`
	Index   int           `json:"index"`
	Seconds float64       `json:"seconds"`
	Load1   float64       `json:"load1"`
	Samples []writeSample `json:"samples"`
	delta
}

// setupWrites creates the namespace and the Deployments, and alice's grant for them.
func (b *bench) setupWrites(ctx context.Context) ([]writeKind, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: writesNamespace, Labels: map[string]string{protect.OptOutLabel: "off"}}}
	if _, err := b.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", writesNamespace, err)
	}
	clients := map[string]kubernetes.Interface{}
	for _, who := range []string{"alice", "flux"} {
		cfg, err := contextConfig(b.kubeconfig(), who)
		if err != nil {
			return nil, err
		}
		cfg.QPS, cfg.Burst = 1000, 1000 // the rate is the bench's, not client-go's limiter's
		cfg.WarningHandler = rest.NoWarnings{}
		if clients[who], err = kubernetes.NewForConfig(cfg); err != nil {
			return nil, err
		}
	}
	var kinds []writeKind
	for _, who := range []string{"alice", "flux"} {
		for _, how := range []string{"update", "apply"} {
			name := "bench-" + who + "-" + how
			d, err := benchDeployment(name)
			if err != nil {
				return nil, err
			}
			// Flux creates them: only a GitOps identity may write an object with its marker.
			if _, err := clients["flux"].AppsV1().Deployments(writesNamespace).Create(ctx, d, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("creating Deployment %s/%s as Flux: %w", writesNamespace, name, err)
			}
			kinds = append(kinds, writeKind{Who: who, How: how, Name: name, write: writer(clients[who], d, who, how)})
		}
	}
	tryWrite := func(ctx context.Context) error {
		d, err := benchDeployment(kinds[0].Name)
		if err != nil {
			return err
		}
		d.Annotations[writeAnnotation] = "dry-run"
		_, err = clients["alice"].AppsV1().Deployments(writesNamespace).Update(ctx, d, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	grant, err := b.grant(ctx, writesNamespace, writesTicket, "fluxbench: the latency driftgate adds to writes", tryWrite)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "alice holds grant %s for deployments.apps in %s\n", grant, writesNamespace)
	return kinds, nil
}

// benchDeployment is the load tool's Deployment as a client creates it (no status or server-set
// metadata), named name in writesNamespace, labelled as Flux's.
func benchDeployment(name string) (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(loadgen.Deployment(1, writesImage), d); err != nil {
		return nil, err
	}
	d.ObjectMeta = metav1.ObjectMeta{
		Name: name, Namespace: writesNamespace,
		Labels: map[string]string{
			"app.kubernetes.io/name":                "checkout",
			"kustomize.toolkit.fluxcd.io/name":      "bench",
			"kustomize.toolkit.fluxcd.io/namespace": fluxNamespace,
		},
		Annotations: map[string]string{},
	}
	d.Status = appsv1.DeploymentStatus{}
	return d, nil
}

// writer is one kind's write of sequence number seq.
func writer(cs kubernetes.Interface, base *appsv1.Deployment, who, how string) func(context.Context, int) error {
	deployments := cs.AppsV1().Deployments(writesNamespace)
	if how == "apply" {
		return func(ctx context.Context, seq int) error {
			patch := fmt.Appendf(nil, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":%q,"namespace":%q,"annotations":{%q:%q}}}`,
				base.Name, writesNamespace, writeAnnotation, strconv.Itoa(seq))
			_, err := deployments.Patch(ctx, base.Name, types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: "fluxbench-" + who, Force: ptr.To(true)})
			return err
		}
	}
	return func(ctx context.Context, seq int) error {
		d := base.DeepCopy()
		d.Annotations[writeAnnotation] = strconv.Itoa(seq)
		_, err := deployments.Update(ctx, d, metav1.UpdateOptions{FieldManager: "fluxbench-" + who})
		return err
	}
}

// measureWrites runs the writes at each --writes rate, --write-windows windows per arm in ABBA
// order.
func (b *bench) measureWrites(ctx context.Context) error {
	fmt.Fprintf(b.out, "\nwrites of GitOps-owned Deployments (issue 22): %v writes/s, %d windows of %s per arm, ABBA order\n",
		b.o.writes, b.o.writeWindows, b.o.writeDuration)
	kinds, err := b.setupWrites(ctx)
	if err != nil {
		return err
	}
	b.res.WriteKinds = kinds
	if b.savedWC == nil {
		if err := b.saveWebhook(ctx); err != nil {
			return err
		}
	}
	defer b.restoreWebhook(context.WithoutCancel(ctx))
	seq := 0
	if b.o.writeWarmup > 0 {
		fmt.Fprintf(b.out, "warm-up: %s of writes at %d/s, webhook on, not counted\n", b.o.writeWarmup, b.o.writes[0])
		if _, err := b.writeWindow(ctx, kinds, "on", b.o.writes[0], -1, b.o.writeWarmup, &seq); err != nil {
			return err
		}
	}
	on := true
	fmt.Fprintf(b.out, "%-4s %-4s %6s %7s %7s %9s %9s %9s %6s\n", "#", "arm", "rate", "writes", "errors", "p50", "p99", "webhook", "load1")
	for _, rate := range b.o.writes {
		for i, arm := range schedule(b.o.writeWindows) {
			if err := b.enterArm(ctx, arm, &on); err != nil {
				return err
			}
			w, err := b.writeWindow(ctx, kinds, arm, rate, i, b.o.writeDuration, &seq)
			if err != nil {
				return err
			}
			b.res.Writes = append(b.res.Writes, w)
			lat := writeLatencies(w.Samples, -1)
			fmt.Fprintf(b.out, "%-4d %-4s %6d %7d %7d %9s %9s %9.0f %6.2f %.200s\n", i+1, arm, rate, len(w.Samples), kindErrors(w.Samples, -1),
				secs(benchkit.Percentile(lat, 0.50)), secs(benchkit.Percentile(lat, 0.99)), w.APIWebhookCalls, w.Load1, firstError(w.Samples))
		}
	}
	if !on {
		return b.setWebhook(ctx, true)
	}
	return nil
}

// writeWindow sends writes open-loop at rate for d, the kinds in turn, and returns them with
// what the API server and driftgate counted meanwhile.
func (b *bench) writeWindow(ctx context.Context, kinds []writeKind, arm string, rate, index int, d time.Duration, seq *int) (writeWindow, error) {
	w := writeWindow{Arm: arm, Rate: rate, Index: index, Seconds: d.Seconds(), Load1: benchkit.LoadAvg()[0]}
	before, err := b.snapshot(ctx)
	if err != nil {
		return w, err
	}
	n := int(d.Seconds() * float64(rate))
	w.Samples = make([]writeSample, n)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		*seq++
		k, s := i%len(kinds), *seq
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			sent := time.Now()
			err := kinds[k].write(ctx, s)
			w.Samples[i] = writeSample{Kind: k, Seconds: time.Since(sent).Seconds()}
			if err != nil {
				w.Samples[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	after, err := b.snapshot(ctx)
	if err != nil {
		return w, err
	}
	w.delta = diff(before, after)
	if arm == "off" && w.APIWebhookCalls != 0 {
		return w, fmt.Errorf("writes at %d/s: the webhook was off, yet the API server called driftgate %.0f times", rate, w.APIWebhookCalls)
	}
	return w, nil
}

// firstError is the first failed write's error ("" when none failed).
func firstError(samples []writeSample) string {
	for _, s := range samples {
		if s.Error != "" {
			return s.Error
		}
	}
	return ""
}

// kindErrors counts the failed writes of kind k (-1: every kind).
func kindErrors(samples []writeSample, k int) int {
	n := 0
	for _, s := range samples {
		if s.Error != "" && (k < 0 || s.Kind == k) {
			n++
		}
	}
	return n
}

// writeLatencies are the client's times of the successful writes of kind k (-1: every kind).
func writeLatencies(samples []writeSample, k int) []float64 {
	var out []float64
	for _, s := range samples {
		if s.Error == "" && (k < 0 || s.Kind == k) {
			out = append(out, s.Seconds)
		}
	}
	return out
}

// printWrites reports the writes: the client's time per write with the webhook on and off
// (pooled over each arm's windows), the difference, and kube-apiserver's own count of its wait
// for driftgate.
func printWrites(out io.Writer, r *results) {
	if len(r.Writes) == 0 {
		return
	}
	var rates []int
	for _, w := range r.Writes {
		if !slices.Contains(rates, w.Rate) {
			rates = append(rates, w.Rate)
		}
	}
	fmt.Fprintln(out, "\nWrites of GitOps-owned Deployments (the kinds in turn), the client's time per write, pooled over each arm's windows:")
	for _, rate := range rates {
		arm := func(a string) (samples []writeSample, windows []writeWindow) {
			for _, w := range r.Writes {
				if w.Rate == rate && w.Arm == a {
					samples, windows = append(samples, w.Samples...), append(windows, w)
				}
			}
			return samples, windows
		}
		on, onWindows := arm("on")
		off, _ := arm("off")
		fmt.Fprintf(out, "\n%d writes/s, %d windows per arm of %.0f s:\n", rate, len(onWindows), onWindows[0].Seconds)
		fmt.Fprintf(out, "%-52s %7s %13s %21s %21s %21s %9s\n", "", "n (on)", "errors on/off", "on: p50 / p99", "off: p50 / p99", "added: p50 / p99", "p99 ratio")
		row := func(name string, k int) {
			a, b := writeLatencies(on, k), writeLatencies(off, k)
			p := func(v []float64, q float64) float64 { return benchkit.Percentile(v, q) }
			fmt.Fprintf(out, "%-52s %7d %13s %21s %21s %21s %9s\n", name, len(a), fmt.Sprintf("%d / %d", kindErrors(on, k), kindErrors(off, k)),
				secs(p(a, 0.5))+" / "+secs(p(a, 0.99)), secs(p(b, 0.5))+" / "+secs(p(b, 0.99)),
				secs(p(a, 0.5)-p(b, 0.5))+" / "+secs(p(a, 0.99)-p(b, 0.99)), ratioText(p(a, 0.99), p(b, 0.99)))
		}
		row("every write", -1)
		for k, kind := range r.WriteKinds {
			row(kind.String(), k)
		}
		if e := firstError(on); e != "" {
			fmt.Fprintf(out, "first failed write (on): %.300s\n", e)
		}
		var calls, sum, handler, handled float64
		buckets := map[string]float64{}
		for _, w := range onWindows {
			calls, sum, handler, handled = calls+w.APIWebhookCalls, sum+w.APIWebhookSecs, handler+w.HandlerSeconds, handled+w.HandlerRequests
			for le, n := range w.APIWebhookBuckets {
				buckets[le] += n
			}
		}
		if calls == 0 {
			continue
		}
		fmt.Fprintf(out, "kube-apiserver called driftgate %.0f times for %d writes (on); its wait per call (apiserver_admission_webhook_admission_duration_seconds): mean %s, p50 <= %s, p99 <= %s (upper bounds of its buckets), %s of calls within 5 ms; driftgate's handler per call: mean %s\n",
			calls, len(on), secs(sum/calls), secs(bucketBound(buckets, 0.5)), secs(bucketBound(buckets, 0.99)),
			fraction(buckets, "0.005"), secs(handler/max(handled, 1)))
	}
}

func ratioText(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64)
}

// bucketBound is the upper bound of the histogram bucket holding the q-quantile (a cumulative
// histogram: le -> count; +Inf when it is beyond the last finite bound).
func bucketBound(buckets map[string]float64, q float64) float64 {
	total := buckets["+Inf"]
	var bounds []float64
	for le := range buckets {
		if v, err := strconv.ParseFloat(le, 64); err == nil && le != "+Inf" {
			bounds = append(bounds, v)
		}
	}
	slices.Sort(bounds)
	for _, b := range bounds {
		if buckets[strconv.FormatFloat(b, 'g', -1, 64)] >= q*total {
			return b
		}
	}
	return math.Inf(1)
}

// fraction is the share of the calls within the bucket le, as a percentage.
func fraction(buckets map[string]float64, le string) string {
	if buckets["+Inf"] == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(100*buckets[le]/buckets["+Inf"], 'f', 1, 64) + "%"
}
