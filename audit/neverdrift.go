package audit

import "strings"

// skip reports whether the node is never drift or ignored.
func (w *walker) skip(n node) bool {
	return neverDrift(n) || w.ignored(n.path)
}

// neverDrift: status, the API server's metadata, and the GitOps tools' bookkeeping labels and
// annotations (SPEC "Drift: what counts").
func neverDrift(n node) bool {
	switch n.parentPath {
	case "":
		switch n.key {
		case "apiVersion", "kind", "status":
			return true
		}
	case "metadata":
		switch n.key {
		case "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
			"managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds":
			return true
		}
	case "metadata.annotations":
		return bookkeepingAnnotation(n.key)
	case "metadata.labels":
		return gitOpsBookkeeping(n.key)
	}
	return false
}

func bookkeepingAnnotation(key string) bool {
	switch key {
	case "deployment.kubernetes.io/revision", lastAppliedAnnotation, "argocd.argoproj.io/tracking-id":
		return true
	}
	return gitOpsBookkeeping(key)
}

// gitOpsBookkeeping: the labels and annotations Flux puts on what it applies.
func gitOpsBookkeeping(key string) bool {
	return strings.HasPrefix(key, "kustomize.toolkit.fluxcd.io/") || strings.HasPrefix(key, "helm.toolkit.fluxcd.io/")
}

// serverAssigned reports whether the node holds a value the API server assigns when Git leaves it
// empty: a Service's cluster IPs, node ports and health-check node port.
func (w *walker) serverAssigned(n node) bool {
	if w.group != "" || w.kind != "Service" {
		return false
	}
	switch n.path {
	case "spec.clusterIP", "spec.clusterIPs", "spec.healthCheckNodePort":
		return true
	}
	return n.key == "nodePort" && strings.HasPrefix(n.parentPath, "spec.ports[")
}
