# Example operator policy: anyone may restart a GitOps-owned workload (kubectl rollout restart)
# without a break-glass grant, as long as the restart annotation is all the write changes.
# Load it by copying it into the directory named by policy.dir in driftgate.yaml.
package driftgate.admission

import rego.v1

restart_path := `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`

permit contains "rollout restart" if {
	input.operation == "UPDATE"
	input.subresource == ""
	input.changedPaths == [restart_path]
}
