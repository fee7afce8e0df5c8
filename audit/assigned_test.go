package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServerAssignedValues: a Service's node ports and health-check node port are the API
// server's when Git leaves them unset, unless a person's tool owns them in managedFields (a port a
// person pinned: rule 2). Cluster IPs are never drift.
func TestServerAssignedValues(t *testing.T) {
	svc := func(meta, spec string) string {
		return "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: prod\n" + meta + "spec:\n" + spec
	}
	const (
		port80 = `'k:{"port":80,"protocol":"TCP"}'`
		// Flux's server-side apply of a NodePort Service without a nodePort.
		fluxPorts = "{f:spec: {f:type: {}, f:ports: {" + port80 + ": {.: {}, f:port: {}, f:protocol: {}}}}}"
		nodePort  = "{f:spec: {f:ports: {" + port80 + ": {f:nodePort: {}}}}}"
		nodePorts = "  type: NodePort\n  clusterIP: 10.0.0.1\n  clusterIPs: [10.0.0.1]\n" +
			"  ports: [{port: 80, protocol: TCP, targetPort: 80, nodePort: 30080}]\n"
		lb = "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 31000\n  clusterIP: 10.0.0.1\n" +
			"  ports: [{port: 80, protocol: TCP, targetPort: 80, nodePort: 30080}]\n"
	)
	gitNodePort := svc("", "  type: NodePort\n  ports: [{port: 80}]\n")
	gitLB := svc("", "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n")
	pinned := Field{Path: "spec.ports[port=80].nodePort", Live: 30080.0, Category: PortChange, Severity: Medium,
		Manager: "kubectl-patch"}
	tests := []struct {
		name          string
		opts          func(*Options)
		desired, live string
		want          []Field
	}{{
		name:    "nodePort assigned by the API server: no manager owns it",
		desired: gitNodePort,
		live:    svc(managed("kustomize-controller", "Apply", fluxPorts), nodePorts),
		want:    []Field{},
	}, {
		name:    "nodePort a person pinned with kubectl patch",
		desired: gitNodePort,
		live: svc(managed("kustomize-controller", "Apply", fluxPorts)+entry("kubectl-patch", "Update", nodePort),
			nodePorts),
		want: []Field{pinned},
	}, {
		name:    "nodePort a person pinned, Git setting it empty",
		desired: svc("", "  type: NodePort\n  clusterIP: ''\n  ports: [{port: 80, nodePort: 0}]\n"),
		live:    svc(managed("kubectl-patch", "Update", nodePort), nodePorts),
		want: []Field{{Path: "spec.ports[port=80].nodePort", Desired: 0.0, Live: 30080.0, Category: PortChange,
			Severity: Medium, Manager: "kubectl-patch"}},
	}, {
		name:    "nodePort owned by a configured human manager",
		opts:    func(o *Options) { o.HumanManagers = []string{"k9s"} },
		desired: gitNodePort,
		live:    svc(managed("k9s", "Update", nodePort), nodePorts),
		want: []Field{{Path: "spec.ports[port=80].nodePort", Live: 30080.0, Category: PortChange,
			Severity: Medium, Manager: "k9s"}},
	}, {
		name:    "nodePort owned by a GitOps manager's apply (Git dropped it) is the API server's to keep",
		desired: gitNodePort,
		live:    svc(managed("kustomize-controller", "Apply", nodePort), nodePorts),
		want:    []Field{},
	}, {
		name:    "nodePort owned by a GitOps manager's client-side apply",
		desired: gitNodePort,
		live: svc("  annotations: {kubectl.kubernetes.io/last-applied-configuration: '{\"spec\":{\"ports\":[{\"port\":80,\"nodePort\":30080}]}}'}\n"+
			managed("argocd-controller", "Update", nodePort), nodePorts),
		want: []Field{},
	}, {
		name:    "nodePort without managedFields",
		desired: gitNodePort,
		live:    svc("", nodePorts),
		want:    []Field{},
	}, {
		name:    "cluster IPs are never drift, whoever owns them",
		desired: gitNodePort,
		live:    svc(managed("kubectl-create", "Update", "{f:spec: {f:clusterIP: {}, f:clusterIPs: {}}}"), nodePorts),
		want:    []Field{},
	}, {
		name:    "healthCheckNodePort assigned by the API server",
		desired: gitLB,
		live:    svc(managed("kustomize-controller", "Apply", "{f:spec: {f:type: {}, f:externalTrafficPolicy: {}}}"), lb),
		want:    []Field{},
	}, {
		name:    "healthCheckNodePort a person pinned with kubectl edit",
		desired: gitLB,
		live:    svc(managed("kubectl-edit", "Update", "{f:spec: {f:healthCheckNodePort: {}}}"), lb),
		want: []Field{{Path: "spec.healthCheckNodePort", Live: 31000.0, Category: ConfigurationChange,
			Severity: Medium, Manager: "kubectl-edit"}},
	}, {
		name:    "loadBalancerIP a person set",
		desired: gitLB,
		live: svc(managed("kubectl-patch", "Update", "{f:spec: {f:loadBalancerIP: {}}}"),
			lb+"  loadBalancerIP: 10.1.2.3\n"),
		want: []Field{{Path: "spec.loadBalancerIP", Live: "10.1.2.3", Category: ConfigurationChange,
			Severity: Medium, Manager: "kubectl-patch"}},
	}, {
		name:    "a person's other edit does not make the assigned nodePort theirs",
		desired: gitNodePort,
		live: svc(managed("kubectl-edit", "Update", "{f:spec: {f:ports: {"+port80+": {f:targetPort: {}}}}}"),
			nodePorts),
		want: []Field{{Path: "spec.ports[port=80].targetPort", Live: 80.0, Category: PortChange, Severity: Medium,
			Manager: "kubectl-edit"}},
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
