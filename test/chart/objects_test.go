package chart_test

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestObjects: each value set renders exactly the objects it should: the optional ones
// (PodDisruptionBudget, ServiceMonitor, cert-manager's Certificates and Issuers, the
// self-managed certificate Secret) only when their values turn them on.
func TestObjects(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			if diff := cmp.Diff(wantObjects(vs), ids(render(t, vs, goldenNamespace))); diff != "" {
				t.Errorf("rendered objects (-want +got):\n%s", diff)
			}
		})
	}
}

func wantObjects(vs valueSet) []string {
	f := vs.fullname
	want := []string{
		"ServiceAccount/" + f, "ConfigMap/" + f + "-config",
		"ClusterRole/" + f, "ClusterRole/" + f + ":requester", "ClusterRole/" + f + ":approver",
		"ClusterRoleBinding/" + f, "Role/" + f, "RoleBinding/" + f,
		"Service/" + f + "-webhook", "Service/" + f + "-metrics", "Deployment/" + f,
		"ValidatingWebhookConfiguration/" + f, "NetworkPolicy/" + f,
	}
	if vs.pdb {
		want = append(want, "PodDisruptionBudget/"+f)
	}
	if vs.certMode == "self" {
		want = append(want, "Secret/"+f+"-webhook-cert")
	}
	if vs.certManager {
		want = append(want, "Certificate/"+f+"-webhook", "Certificate/"+f+"-ca",
			"Issuer/"+f+"-selfsigned", "Issuer/"+f+"-ca")
	}
	if vs.serviceMonitor {
		want = append(want, "ServiceMonitor/"+f)
	}
	sort.Strings(want)
	return want
}

func ids(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out
}

// certificateSummary is what the tests require of the serving Certificate.
type certificateSummary struct {
	SecretName string
	DNSNames   []string
	IssuerRef  map[string]any
}

// TestCertManagerCertificate: with certManager.enabled, the serving Certificate writes the
// Secret the Deployment mounts, for every name the webhook Service answers to, signed by the
// chart's CA Issuer.
func TestCertManagerCertificate(t *testing.T) {
	for _, vs := range valueSets {
		if !vs.certManager {
			continue
		}
		t.Run(vs.name, func(t *testing.T) {
			cert := find(render(t, vs, goldenNamespace), "Certificate", vs.fullname+"-webhook")
			if cert == nil {
				t.Fatalf("no Certificate %s-webhook", vs.fullname)
			}
			if diff := cmp.Diff(wantCertificate(vs), summarizeCertificate(cert)); diff != "" {
				t.Errorf("Certificate (-want +got):\n%s", diff)
			}
		})
	}
}

func wantCertificate(vs valueSet) certificateSummary {
	svc, ns := vs.fullname+"-webhook", goldenNamespace
	return certificateSummary{
		SecretName: vs.certSecret,
		DNSNames:   []string{svc, svc + "." + ns, svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local"},
		IssuerRef:  map[string]any{"name": vs.fullname + "-ca", "kind": "Issuer", "group": "cert-manager.io"},
	}
}

func summarizeCertificate(cert *unstructured.Unstructured) certificateSummary {
	secret, _, _ := unstructured.NestedString(cert.Object, "spec", "secretName")
	dns, _, _ := unstructured.NestedStringSlice(cert.Object, "spec", "dnsNames")
	issuer, _, _ := unstructured.NestedMap(cert.Object, "spec", "issuerRef")
	return certificateSummary{SecretName: secret, DNSNames: dns, IssuerRef: issuer}
}

// TestServices: the webhook Service sends 443 to the pods' webhook port; the metrics Service
// (and the ServiceMonitor, when enabled) reach their metrics port.
func TestServices(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			objs := render(t, vs, goldenNamespace)
			var webhook, metrics corev1.Service
			typed(t, objs, "Service", vs.fullname+"-webhook", &webhook)
			typed(t, objs, "Service", vs.fullname+"-metrics", &metrics)
			pods := podLabels(t, objs, vs)
			checkService(t, &webhook, pods, "https", 443, "webhook")
			checkService(t, &metrics, pods, "metrics", 8080, "metrics")
			if vs.serviceMonitor {
				checkServiceMonitor(t, find(objs, "ServiceMonitor", vs.fullname), &metrics)
			}
		})
	}
}

func podLabels(t *testing.T, objs []*unstructured.Unstructured, vs valueSet) labels.Set {
	t.Helper()
	d := find(objs, "Deployment", vs.fullname)
	if d == nil {
		t.Fatalf("no Deployment %s", vs.fullname)
	}
	l, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	return l
}

func checkService(t *testing.T, svc *corev1.Service, pods labels.Set, port string, number int32, target string) {
	t.Helper()
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(pods) {
		t.Errorf("Service %s selects %v, not the driftgate pods %v", svc.Name, svc.Spec.Selector, pods)
	}
	got := []corev1.ServicePort(nil)
	for _, p := range svc.Spec.Ports {
		got = append(got, corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: p.TargetPort})
	}
	want := []corev1.ServicePort{{Name: port, Port: number, TargetPort: intstr.FromString(target)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Service %s ports (-want +got):\n%s", svc.Name, diff)
	}
}

func checkServiceMonitor(t *testing.T, sm *unstructured.Unstructured, metrics *corev1.Service) {
	t.Helper()
	if sm == nil {
		t.Fatal("no ServiceMonitor")
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if !labels.SelectorFromSet(sel).Matches(labels.Set(metrics.Labels)) {
		t.Errorf("ServiceMonitor selects %v, not the metrics Service (labels %v)", sel, metrics.Labels)
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != "metrics" {
		t.Errorf("ServiceMonitor endpoints %v, want one on port metrics", endpoints)
	}
}
