package audit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// deploy builds a small Deployment: spec is YAML under `spec:` (indented two spaces), meta under
// `metadata:` after name and namespace.
func deploy(meta, spec string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n" + meta + "spec:\n" + spec
}

const container = `  template:
    spec:
      containers:
      - name: app
        image: web:1
`

// flux is a managedFields entry of Flux's server-side apply owning fieldsV1 (a flow mapping).
func managed(manager, operation, fieldsV1 string) string {
	return "  managedFields:\n" + entry(manager, operation, fieldsV1)
}

func entry(manager, operation, fieldsV1 string) string {
	return "  - {manager: " + manager + ", operation: " + operation + ", apiVersion: apps/v1, fieldsType: FieldsV1, fieldsV1: " + fieldsV1 + "}\n"
}

const appImage = `{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:image: {}}}}}}}`

func TestRules(t *testing.T) {
	tests := []struct {
		name          string
		desired, live string
		want          []Field
	}{{
		name:    "in sync: defaults, status and server metadata are not drift",
		desired: deploy("", "  replicas: 2\n"+container),
		live: deploy("  uid: x\n  resourceVersion: '9'\n  generation: 2\n  creationTimestamp: '2026-01-01T00:00:00Z'\n"+
			managed("kustomize-controller", "Apply", "{f:spec: {f:replicas: {}}}"),
			"  replicas: 2\n  progressDeadlineSeconds: 600\n"+container+"        imagePullPolicy: IfNotPresent\nstatus: {replicas: 2}\n"),
		want: []Field{},
	}, {
		name:    "rule 1: image changed by kubectl set image",
		desired: deploy("", container),
		live: deploy(managed("kubectl-set", "Update", appImage),
			strings.Replace(container, "web:1", "web:2", 1)),
		want: []Field{{Path: "spec.template.spec.containers[name=app].image", Desired: "web:1", Live: "web:2",
			Category: VersionChange, Severity: High, Manager: "kubectl-set"}},
	}, {
		name:    "rule 1: scaling by more than 50% is high",
		desired: deploy("", "  replicas: 2\n"),
		live:    deploy(managed("kubectl", "Update", "{f:spec: {f:replicas: {}}}"), "  replicas: 4\n"),
		want: []Field{{Path: "spec.replicas", Desired: 2.0, Live: 4.0, Category: Scaling, Severity: High,
			Manager: "kubectl"}},
	}, {
		name:    "rule 1: minor scaling is medium",
		desired: deploy("", "  replicas: 4\n"),
		live:    deploy("", "  replicas: 5\n"),
		want:    []Field{{Path: "spec.replicas", Desired: 4.0, Live: 5.0, Category: Scaling, Severity: Medium}},
	}, {
		name:    "rule 1: quantities compare by value",
		desired: deploy("", container+"        resources: {limits: {cpu: 1000m, memory: 1Gi}, requests: {cpu: '0.5', memory: 64Mi}}\n"),
		live:    deploy("", container+"        resources: {limits: {cpu: '1', memory: 1024Mi}, requests: {cpu: 500m, memory: 128Mi}}\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].resources.requests.memory", Desired: "64Mi",
			Live: "128Mi", Category: ResourceChange, Severity: Medium}},
	}, {
		name:    "rule 1: keyed lists by merge key, order is not drift",
		desired: deploy("", container+"        env: [{name: A, value: '1'}, {name: B, value: '2'}]\n"),
		live:    deploy("", container+"        env: [{name: B, value: '3'}, {name: A, value: '1'}]\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].env[name=B].value", Desired: "2", Live: "3",
			Category: ConfigurationChange, Severity: Medium}},
	}, {
		name:    "rule 1: an item removed live is reported once, whole",
		desired: deploy("", container+"        ports: [{containerPort: 8080}, {containerPort: 9090}]\n"),
		live:    deploy("", container+"        ports: [{containerPort: 8080, protocol: TCP}]\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].ports[containerPort=9090]",
			Desired: map[string]any{"containerPort": 9090.0}, Category: PortChange, Severity: Medium}},
	}, {
		name:    "rule 1: a list of scalars is one value",
		desired: deploy("", container+"        args: [--a, --b]\n"),
		live:    deploy("", container+"        args: [--a, --c]\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].args", Desired: []any{"--a", "--b"},
			Live: []any{"--a", "--c"}, Category: ConfigurationChange, Severity: Medium}},
	}, {
		name:    "rule 1: absent = empty",
		desired: deploy("  annotations: {}\n", "  paused: false\n  minReadySeconds: 0\n"+container+"        env: []\n        securityContext: {}\n"),
		live:    deploy("", container),
		want:    []Field{},
	}, {
		name:    "rule 3: what Flux's typed apply adds (an empty strategy, a default port protocol) is not stale",
		desired: deploy("", container+"        ports: [{containerPort: 8080}]\n"),
		live: deploy(managed("kustomize-controller", "Apply",
			`{f:spec: {f:strategy: {}, f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:image: {}, f:name: {}, f:ports: {'k:{"containerPort":8080,"protocol":"TCP"}': {f:containerPort: {}, f:protocol: {}}}}}}}}}`),
			"  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}\n"+container+"        ports: [{containerPort: 8080, protocol: TCP}]\n"),
		want: []Field{},
	}, {
		name:    "rule 3: a strategy type Git dropped after Flux applied it is still stale",
		desired: deploy("", container),
		live: deploy(managed("kustomize-controller", "Apply", `{f:spec: {f:strategy: {f:type: {}}}}`),
			"  strategy: {type: Recreate}\n"+container),
		want: []Field{{Path: "spec.strategy.type", Live: "Recreate", Category: ConfigurationChange, Severity: Medium,
			Manager: "kustomize-controller"}},
	}, {
		name:    "rule 2: env var added with kubectl set env, to a list Git leaves out",
		desired: deploy("", container),
		live: deploy(managed("kubectl-set", "Update",
			`{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:env: {.: {}, 'k:{"name":"X"}': {.: {}, f:name: {}, f:value: {}}}}}}}}}`),
			container+"        env: [{name: X, value: 'y'}]\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].env[name=X]",
			Live: map[string]any{"name": "X", "value": "y"}, Category: ConfigurationChange, Severity: Medium,
			Manager: "kubectl-set"}},
	}, {
		name:    "rule 2: annotation and label added, reported at their own keys",
		desired: deploy("  labels: {app: web}\n", ""),
		live: deploy("  labels: {app: web, env: staging}\n  annotations: {example.com/ticket: INC-1}\n"+
			managed("kubectl-annotate", "Update", "{f:metadata: {f:annotations: {.: {}, f:example.com/ticket: {}}}}")+
			entry("kubectl-label", "Update", "{f:metadata: {f:labels: {f:env: {}}}}"), ""),
		want: []Field{
			{Path: `metadata.annotations["example.com/ticket"]`, Live: "INC-1", Category: AnnotationChange,
				Severity: Low, Manager: "kubectl-annotate"},
			{Path: "metadata.labels.env", Live: "staging", Category: LabelChange, Severity: Low, Manager: "kubectl-label"},
		},
	}, {
		name:    "rule 2: a struct a person created is reported whole",
		desired: deploy("", container),
		live: deploy(managed("kubectl-edit", "Update",
			`{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:livenessProbe: {.: {}, f:tcpSocket: {.: {}, f:port: {}}, f:periodSeconds: {}}}}}}}}`),
			container+"        livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 10}\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].livenessProbe",
			Live:     map[string]any{"tcpSocket": map[string]any{"port": 80.0}, "periodSeconds": 10.0},
			Category: ConfigurationChange, Severity: Medium, Manager: "kubectl-edit"}},
	}, {
		name:    "rule 2: in a defaulted struct only what the person changed",
		desired: deploy("", ""),
		live: deploy(managed("kubectl-patch", "Update", "{f:spec: {f:strategy: {f:rollingUpdate: {f:maxSurge: {}}}}}"),
			"  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 50%, maxUnavailable: 25%}}\n"),
		want: []Field{{Path: "spec.strategy.rollingUpdate.maxSurge", Live: "50%", Category: ConfigurationChange,
			Severity: Medium, Manager: "kubectl-patch"}},
	}, {
		name:    "rule 2: kubectl scale of replicas Git does not set",
		desired: deploy("", ""),
		live:    deploy(managed("kubectl", "Update", "{f:spec: {f:replicas: {}}}"), "  replicas: 3\n"),
		want:    []Field{{Path: "spec.replicas", Live: 3.0, Category: Scaling, Severity: Medium, Manager: "kubectl"}},
	}, {
		name:    "not drift: fields owned by controllers, or by nobody",
		desired: deploy("", ""),
		live: deploy(managed("horizontal-pod-autoscaler", "Update", "{f:spec: {f:replicas: {}}}"),
			"  replicas: 3\n  revisionHistoryLimit: 10\n"),
		want: []Field{},
	}, {
		name:    "rule 3, server-side apply: a field Git dropped is still owned by the GitOps manager",
		desired: deploy("", container),
		live: deploy(managed("kustomize-controller", "Apply",
			`{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {.: {}, f:name: {}, f:image: {}, f:env: {'k:{"name":"OLD"}': {.: {}, f:name: {}, f:value: {}}}}}}}}}`),
			container+"        env: [{name: OLD, value: 'x'}]\n"),
		want: []Field{{Path: "spec.template.spec.containers[name=app].env[name=OLD]",
			Live: map[string]any{"name": "OLD", "value": "x"}, Category: ConfigurationChange, Severity: Medium,
			Manager: "kustomize-controller"}},
	}, {
		name:    "rule 3, client-side apply: only fields in last-applied-configuration count",
		desired: deploy("", ""),
		live: deploy("  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"spec\":{\"minReadySeconds\":5}}'\n"+
			managed("argocd-controller", "Update", "{f:spec: {f:minReadySeconds: {}, f:progressDeadlineSeconds: {}}}"),
			"  minReadySeconds: 5\n  progressDeadlineSeconds: 600\n"),
		want: []Field{{Path: "spec.minReadySeconds", Live: 5.0, Category: ConfigurationChange, Severity: Medium,
			Manager: "argocd-controller"}},
	}, {
		name:    "never drift: GitOps bookkeeping and the API server's annotations",
		desired: deploy("", ""),
		live: deploy("  labels: {kustomize.toolkit.fluxcd.io/name: web, helm.toolkit.fluxcd.io/name: web}\n"+
			"  annotations: {argocd.argoproj.io/tracking-id: 'a:apps/Deployment:prod/web', deployment.kubernetes.io/revision: '2', kubectl.kubernetes.io/last-applied-configuration: '{}'}\n"+
			managed("kubectl-edit", "Update", "{f:metadata: {f:labels: {f:kustomize.toolkit.fluxcd.io/name: {}, f:helm.toolkit.fluxcd.io/name: {}}, f:annotations: {f:argocd.argoproj.io/tracking-id: {}, f:deployment.kubernetes.io/revision: {}}}}"),
			""),
		want: []Field{},
	}, {
		name:    "ignore: the Git object's annotation, with a wildcard",
		desired: deploy("  annotations: {driftgate.io/ignore-fields: 'spec.replicas, spec.template.spec.containers[*].image'}\n", "  replicas: 2\n"+container),
		live: deploy("  annotations: {driftgate.io/ignore-fields: 'spec.replicas, spec.template.spec.containers[*].image'}\n",
			"  replicas: 9\n"+strings.Replace(container, "web:1", "web:2", 1)),
		want: []Field{},
	}, {
		name:    "ignore: the live copy of the annotation is not read",
		desired: deploy("", "  replicas: 2\n"),
		live:    deploy("  annotations: {driftgate.io/ignore-fields: spec.replicas}\n", "  replicas: 3\n"),
		want:    []Field{{Path: "spec.replicas", Desired: 2.0, Live: 3.0, Category: Scaling, Severity: Medium}},
	}}
	d := newTestDiffer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffYAML(t, d, tt.desired, tt.live)
			if diff := cmp.Diff(tt.want, got.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
