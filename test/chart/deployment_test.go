package chart_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// podSummary is what the tests require of the rendered Deployment.
type podSummary struct {
	Replicas              int32
	RunAsNonRoot          bool
	Seccomp               corev1.SeccompProfileType
	ReadOnlyRootFS        bool
	NoPrivilegeEscalation bool
	DropCapabilities      []corev1.Capability
	PriorityClass         string
	SpreadKeys            []string
	SpreadSelectsPods     bool // every spread constraint counts exactly this Deployment's pods
	Args                  []string
	Readiness, Liveness   string
	CertSecret            string
	GOMEMLIMITFromLimit   bool
	GOGC                  string
	GraceCoversDelay      bool
}

// TestDeployment: replicas, the restricted pod security settings, scheduling and the serve
// flags are what the values say.
func TestDeployment(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			var d appsv1.Deployment
			typed(t, render(t, vs, goldenNamespace), "Deployment", vs.fullname, &d)
			if diff := cmp.Diff(wantPod(vs), summarizePod(t, &d)); diff != "" {
				t.Errorf("Deployment %s (-want +got):\n%s", vs.fullname, diff)
			}
		})
	}
}

func wantPod(vs valueSet) podSummary {
	return podSummary{
		Replicas: vs.replicas, RunAsNonRoot: true, Seccomp: corev1.SeccompProfileTypeRuntimeDefault,
		ReadOnlyRootFS: true, NoPrivilegeEscalation: true, DropCapabilities: []corev1.Capability{"ALL"},
		PriorityClass: vs.priorityClass, SpreadKeys: vs.spreadKeys, SpreadSelectsPods: true,
		Args: []string{
			"--cert-dir=/certs", "--cert-mode=" + vs.certMode, "--config=/etc/driftgate/driftgate.yaml",
			"--enable-audit=" + boolString(vs.audit), "--leader-elect=true",
		},
		Readiness: "/readyz probes", Liveness: "/healthz probes", CertSecret: vs.certSecret,
		GOMEMLIMITFromLimit: true, GOGC: vs.gogc, GraceCoversDelay: true,
	}
}

func summarizePod(t *testing.T, d *appsv1.Deployment) podSummary {
	t.Helper()
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	s := podSummary{Replicas: ptrValue(d.Spec.Replicas), PriorityClass: spec.PriorityClassName}
	if psc := spec.SecurityContext; psc != nil {
		s.RunAsNonRoot = ptrValue(psc.RunAsNonRoot)
		if psc.SeccompProfile != nil {
			s.Seccomp = psc.SeccompProfile.Type
		}
	}
	if sc := c.SecurityContext; sc != nil {
		s.ReadOnlyRootFS = ptrValue(sc.ReadOnlyRootFilesystem)
		s.NoPrivilegeEscalation = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
		if sc.Capabilities != nil {
			s.DropCapabilities = sc.Capabilities.Drop
		}
	}
	s.SpreadKeys, s.SpreadSelectsPods = spread(d)
	s.Args = keyArgs(c.Args)
	s.Readiness, s.Liveness = probe(c.ReadinessProbe), probe(c.LivenessProbe)
	s.CertSecret = certVolume(spec)
	for _, e := range c.Env {
		if e.Name == "GOGC" {
			s.GOGC = e.Value
		}
	}
	s.GOMEMLIMITFromLimit = slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "limits.memory"
	})
	s.GraceCoversDelay = spec.TerminationGracePeriodSeconds != nil &&
		*spec.TerminationGracePeriodSeconds >= int64(shutdownDelay(t, c.Args).Seconds())+10
	return s
}

// keyArgs are the serve flags the tests pin, sorted: the rest (log level, shutdown delay) vary.
func keyArgs(args []string) []string {
	var out []string
	for _, a := range args {
		for _, p := range []string{"--config=", "--cert-dir=", "--cert-mode=", "--leader-elect=", "--enable-audit="} {
			if strings.HasPrefix(a, p) {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// spread returns the topology keys, and whether every constraint's selector picks exactly the
// Deployment's pods (those its own selector picks).
func spread(d *appsv1.Deployment) ([]string, bool) {
	var keys []string
	ok := true
	pods := labels.Set(d.Spec.Template.Labels)
	for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		keys = append(keys, c.TopologyKey)
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		ok = ok && c.LabelSelector != nil && err == nil && sel.Matches(pods) &&
			cmp.Equal(c.LabelSelector.MatchLabels, d.Spec.Selector.MatchLabels)
	}
	return keys, ok
}

func probe(p *corev1.Probe) string {
	if p == nil || p.HTTPGet == nil {
		return ""
	}
	return p.HTTPGet.Path + " " + p.HTTPGet.Port.String()
}

// certVolume is the Secret mounted at /certs.
func certVolume(spec corev1.PodSpec) string {
	var name string
	for _, m := range spec.Containers[0].VolumeMounts {
		if m.MountPath == "/certs" {
			name = m.Name
		}
	}
	for _, v := range spec.Volumes {
		if v.Name == name && v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	return ""
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// shutdownDelay is the --shutdown-delay the Deployment passes; it must pass one.
func shutdownDelay(t *testing.T, args []string) time.Duration {
	t.Helper()
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--shutdown-delay="); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				t.Fatalf("--shutdown-delay=%s: %v", v, err)
			}
			return d
		}
	}
	t.Fatalf("no --shutdown-delay in %q", args)
	return 0
}
