package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKinds(t *testing.T) {
	svc := func(spec string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: prod}\nspec:\n" + spec
	}
	tests := []struct {
		name          string
		opts          func(*Options)
		desired, live string
		want          []Field
	}{{
		name:    "Secret values are masked on both sides; stringData compares with data",
		desired: "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: prod}\nstringData: {user: admin}\ndata: {pass: aHVudGVyMg==}\n",
		live:    "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: prod}\ndata: {user: YWRtaW4=, pass: c3dvcmRmaXNo}\ntype: Opaque\n",
		want: []Field{{Path: "data.pass", Desired: Sensitive, Live: Sensitive, Category: SecretChange,
			Severity: High}},
	}, {
		name:    "Service: int-or-string by value, server-assigned IPs and node ports are not drift",
		desired: svc("  type: NodePort\n  clusterIP: ''\n  ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: http}]\n"),
		live: svc("  type: NodePort\n  clusterIP: 10.0.0.1\n  clusterIPs: [10.0.0.1]\n" +
			"  ports: [{port: 80, targetPort: '8080', nodePort: 30001, protocol: TCP}, {port: 81, targetPort: 9797, nodePort: 30002, protocol: TCP}]\n"),
		want: []Field{{Path: "spec.ports[port=81].targetPort", Desired: "http", Live: 9797.0, Category: PortChange,
			Severity: Medium}},
	}, {
		name:    "Service ports sharing a port number are told apart by protocol",
		desired: svc("  ports: [{name: dns, port: 53}, {name: dns-udp, port: 53, protocol: UDP}]\n"),
		live:    svc("  ports: [{name: dns-udp, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]\n"),
		want: []Field{{Path: "spec.ports[port=53,protocol=TCP].name", Desired: "dns", Live: "dns-tcp",
			Category: PortChange, Severity: Medium}},
	}, {
		name:    "custom resources: lists by name when every item has one, else by index",
		desired: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\nspec:\n  parts: [{name: a, size: 1}, {name: b, size: 2}]\n  steps: [{run: x}]\n",
		live:    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\nspec:\n  parts: [{name: b, size: 3}, {name: a, size: 1}]\n  steps: [{run: z}]\n",
		want: []Field{
			{Path: "spec.parts[name=b].size", Desired: 2.0, Live: 3.0, Category: ConfigurationChange, Severity: Medium},
			{Path: "spec.steps[0].run", Desired: "x", Live: "z", Category: ConfigurationChange, Severity: Medium},
		},
	}, {
		name:    "RBAC rules are high",
		desired: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: prod}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n",
		live:    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: prod}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get, delete]}]\n",
		want: []Field{{Path: "rules[0].verbs", Desired: []any{"get"}, Live: []any{"get", "delete"},
			Category: ConfigurationChange, Severity: High}},
	}, {
		name:    "ConfigMap data",
		desired: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {LOG_LEVEL: info}\n",
		live:    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: prod}\ndata: {LOG_LEVEL: debug}\n",
		want: []Field{{Path: "data.LOG_LEVEL", Desired: "info", Live: "debug", Category: ConfigMapChange,
			Severity: Medium}},
	}, {
		name:    "volumes",
		desired: deploy("", "  template:\n    spec:\n      volumes: [{name: d, emptyDir: {sizeLimit: 1Gi}}]\n"),
		live:    deploy("", "  template:\n    spec:\n      volumes: [{name: d, emptyDir: {sizeLimit: 2Gi}}]\n"),
		want: []Field{{Path: "spec.template.spec.volumes[name=d].emptyDir.sizeLimit", Desired: "1Gi", Live: "2Gi",
			Category: VolumeChange, Severity: Medium}},
	}, {
		name: "--ignore-fields and config ignore rules",
		opts: func(o *Options) {
			o.IgnoreFields = []string{"spec.replicas"}
			o.IgnoreRules = []IgnoreRule{{Kind: "Deployment", Name: "web", Paths: []string{"metadata.labels"}}}
		},
		desired: deploy("  labels: {a: b}\n", "  replicas: 1\n  paused: true\n"),
		live:    deploy("  labels: {a: c}\n", "  replicas: 2\n  paused: false\n"),
		want: []Field{{Path: "spec.paused", Desired: true, Live: false, Category: ConfigurationChange,
			Severity: Medium}},
	}, {
		name:    "configured human managers",
		opts:    func(o *Options) { o.HumanManagers = []string{"k9s"} },
		desired: deploy("", ""),
		live:    deploy(managed("k9s", "Update", "{f:spec: {f:paused: {}}}"), "  paused: true\n"),
		want: []Field{{Path: "spec.paused", Live: true, Category: ConfigurationChange, Severity: Medium,
			Manager: "k9s"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffYAML(t, newTestDiffer(t, tt.opts), tt.desired, tt.live)
			if diff := cmp.Diff(tt.want, got.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSecretNeverPrinted checks that no Secret value reaches the text or JSON report.
func TestSecretNeverPrinted(t *testing.T) {
	desired := "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: prod}\nstringData: {password: hunter2}\n"
	live := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\n" +
		"  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{\"stringData\":{\"password\":\"hunter2\"}}'}\n" +
		"data: {password: c3dvcmRmaXNo, token: dG9rZW4tdmFsdWU=}\n"
	d := newTestDiffer(t, nil)
	r, err := d.Diff([]Object{parseOne(t, "d", desired)}, []Object{parseOne(t, "l", live)})
	if err != nil {
		t.Fatal(err)
	}
	var text, js strings.Builder
	if err := WriteText(&text, r, TextStyle{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "swordfish", "c3dvcmRmaXNo", "aHVudGVyMg", "dG9rZW4tdmFsdWU=", "token-value"} {
		if strings.Contains(text.String(), secret) || strings.Contains(js.String(), secret) {
			t.Errorf("secret %q printed:\n%s\n%s", secret, text.String(), js.String())
		}
	}
	if got := paths(r.Objects[0].Fields); !cmp.Equal(got, []string{"data.password"}) {
		t.Errorf("paths = %v, want [data.password] (token is unowned)", got)
	}
}

func TestNoManagedFieldsIsRuleOneOnly(t *testing.T) {
	d := newTestDiffer(t, nil)
	got := diffYAML(t, d, deploy("", "  replicas: 1\n"), deploy("  annotations: {x: y}\n", "  replicas: 2\n"))
	want := ObjectReport{
		APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web", Status: Drifted,
		Fields: []Field{{Path: "spec.replicas", Desired: 1.0, Live: 2.0, Category: Scaling, Severity: High}},
		Notes:  []string{"the live copy has no managedFields: only fields set in Git were compared"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestReportJSONShape(t *testing.T) {
	r := newReport("", []ObjectReport{{APIVersion: "v1", Kind: "Service", Name: "b", Namespace: "x", Status: InSync}})
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"revision":"","summary":{"objects":1,"inSync":1,"drifted":0,"missing":0,"orphaned":0,"fields":0},` +
		`"objects":[{"apiVersion":"v1","kind":"Service","namespace":"x","name":"b","status":"in-sync","fields":[]}]}`
	if diff := cmp.Diff(want, string(raw)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
