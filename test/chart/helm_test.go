package chart_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// release is the Helm release name every render uses.
const release = "driftgate"

// valueSet is one way to install the chart and what its render must then say.
type valueSet struct {
	name string
	// file is the values file under testdata; "" is the chart's defaults.
	file string

	fullname       string
	replicas       int32
	mode           string
	exempt         []string // config.exemptNamespaces
	gitops         []string // config.identities.gitops plus the Flux tenants
	failurePolicy  string
	timeoutSeconds int32
	certMode       string // serve --cert-mode
	certSecret     string // the Secret mounted at /certs
	certManager    bool
	serviceMonitor bool
	pdb            bool
	audit          bool
	readAll        bool // the audit reads every resource (audit.readRules left at its default)
	priorityClass  string
	spreadKeys     []string // topologySpreadConstraints' topology keys
	clusterRole    string   // config.breakGlass.clusterRole
	gogc           string   // the container's GOGC
}

var defaultGitOps = []string{
	"system:serviceaccount:argocd:argocd-application-controller",
	"system:serviceaccount:flux-system:kustomize-controller",
	"system:serviceaccount:flux-system:helm-controller",
}

var valueSets = []valueSet{{
	name: "default", fullname: "driftgate", replicas: 2, mode: "enforce", gitops: defaultGitOps,
	failurePolicy: "Fail", timeoutSeconds: 3, certMode: "self", certSecret: "driftgate-webhook-cert",
	pdb: true, audit: true, readAll: true, priorityClass: "system-cluster-critical",
	spreadKeys: []string{"kubernetes.io/hostname"}, clusterRole: "edit", gogc: "400",
}, {
	name: "custom", file: "values-custom.yaml", fullname: "gate", replicas: 3, mode: "warn",
	exempt: []string{"tools"},
	gitops: []string{
		"system:serviceaccount:gitops:argocd-application-controller",
		"system:serviceaccount:team-a:flux-reconciler",
	},
	failurePolicy: "Ignore", timeoutSeconds: 10, certMode: "provided", certSecret: "gate-webhook-cert",
	certManager: true, serviceMonitor: true, pdb: true, priorityClass: "system-node-critical",
	spreadKeys: []string{"topology.kubernetes.io/zone"}, clusterRole: "incident-editor", gogc: "100",
}, {
	name: "provided-secret", file: "values-provided.yaml", fullname: "driftgate", replicas: 1,
	mode: "enforce", gitops: defaultGitOps, failurePolicy: "Fail", timeoutSeconds: 3,
	certMode: "provided", certSecret: "my-webhook-tls", audit: true, clusterRole: "admin", gogc: "400",
}}

// helm runs the helm CLI with its state in a temporary directory and returns its stdout.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(helmBin, args...)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"),
		"KUBECONFIG="+filepath.Join(helmHome, "no-kubeconfig"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// valuesArgs are the helm flags that select the value set.
func (vs valueSet) valuesArgs() []string {
	if vs.file == "" {
		return nil
	}
	return []string{"--values", filepath.Join("test", "chart", "testdata", vs.file)}
}

// renderText is `helm template` of the chart into namespace.
func renderText(t *testing.T, vs valueSet, namespace string) string {
	t.Helper()
	args := append([]string{"template", release, "charts/driftgate", "--namespace", namespace}, vs.valuesArgs()...)
	return helm(t, args...)
}

// render is the rendered objects, in helm's order.
func render(t *testing.T, vs valueSet, namespace string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := decodeAll(renderText(t, vs, namespace))
	if err != nil {
		t.Fatalf("decoding the %s render: %v", vs.name, err)
	}
	return objs
}

func decodeAll(manifests string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(manifests)), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(obj) > 0 {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

// find is the rendered object of kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// typed decodes the rendered object of kind and name into into, strictly (unknown fields fail).
func typed(t *testing.T, objs []*unstructured.Unstructured, kind, name string, into any) {
	t.Helper()
	o := find(objs, kind, name)
	if o == nil {
		t.Fatalf("no %s %q rendered", kind, name)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, into, true); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
}
