package chart_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/internal/config"
)

// configSummary is what the tests require of the rendered driftgate.yaml.
type configSummary struct {
	Mode        config.Mode
	Exempt      []string
	GitOps      []string
	Self        string
	Webhook     config.Webhook
	ClusterRole string
}

// TestConfigMap: the rendered driftgate.yaml is one driftgate accepts (config.Load: strict,
// validated) and says what the values say; its webhook section names the release's objects.
func TestConfigMap(t *testing.T) {
	for _, vs := range valueSets {
		t.Run(vs.name, func(t *testing.T) {
			cfg := loadConfig(t, render(t, vs, goldenNamespace), vs)
			got := configSummary{
				Mode: cfg.Mode, Exempt: cfg.ExemptNamespaceNames(), GitOps: cfg.GitOpsIdentities(),
				Self: cfg.SelfIdentity(), Webhook: cfg.Webhook, ClusterRole: cfg.BreakGlass.ClusterRole,
			}
			if diff := cmp.Diff(wantConfig(vs, goldenNamespace), got); diff != "" {
				t.Errorf("driftgate.yaml (-want +got):\n%s", diff)
			}
		})
	}
}

func wantConfig(vs valueSet, ns string) configSummary {
	return configSummary{
		Mode:   config.Mode(vs.mode),
		Exempt: append([]string{ns, "kube-system"}, vs.exempt...),
		GitOps: vs.gitops,
		Self:   "system:serviceaccount:" + ns + ":" + vs.fullname,
		Webhook: config.Webhook{
			Namespace: ns, ServiceName: vs.fullname + "-webhook", ConfigurationName: vs.fullname,
			FailurePolicy: vs.failurePolicy, TimeoutSeconds: vs.timeoutSeconds,
			Labels: map[string]string{
				"app.kubernetes.io/name": "driftgate", "app.kubernetes.io/instance": release,
				"app.kubernetes.io/version": "0.1.0", "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "driftgate-0.1.0",
			},
			Annotations: recreatedAnnotations(vs, ns),
		},
		ClusterRole: vs.clusterRole,
	}
}

// recreatedAnnotations are what a webhook configuration driftgate recreates carries: Helm's
// ownership, and cert-manager's CA injection when it issues the certificate.
func recreatedAnnotations(vs valueSet, ns string) map[string]string {
	a := map[string]string{"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": ns}
	if vs.certManager {
		a["cert-manager.io/inject-ca-from"] = ns + "/" + vs.fullname + "-webhook"
	}
	return a
}

// TestValuesConfigIsDefault: values.yaml's config writes out driftgate's defaults
// (config.Default), all of them but the webhook section, which the chart fills in, and nothing
// else: decoded over an empty Config it is the defaults.
func TestValuesConfigIsDefault(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "charts", "driftgate", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Config any `json:"config"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	doc, err := yaml.Marshal(values.Config)
	if err != nil {
		t.Fatal(err)
	}
	var got config.Config
	if err := yaml.UnmarshalStrict(doc, &got); err != nil {
		t.Fatalf("values.yaml config is not a driftgate.yaml: %v", err)
	}
	want := config.Default()
	want.Webhook = config.Webhook{}
	if diff := cmp.Diff(want, &got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("values.yaml config differs from config.Default() (-want +got):\n%s", diff)
	}
}

// loadConfig loads the rendered ConfigMap's driftgate.yaml the way `driftgate serve` does.
func loadConfig(t *testing.T, objs []*unstructured.Unstructured, vs valueSet) *config.Config {
	t.Helper()
	name := vs.fullname + "-config"
	cm := find(objs, "ConfigMap", name)
	if cm == nil {
		t.Fatalf("no ConfigMap %s", name)
	}
	text, ok, _ := unstructured.NestedString(cm.Object, "data", "driftgate.yaml")
	if !ok {
		t.Fatalf("ConfigMap %s has no driftgate.yaml", name)
	}
	path := filepath.Join(t.TempDir(), "driftgate.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("driftgate would not start with the rendered driftgate.yaml: %v\n%s", err, text)
	}
	return cfg
}
