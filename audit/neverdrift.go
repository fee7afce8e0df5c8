package audit

import "strings"

// skip reports whether the node is never drift or ignored.
func (w *walker) skip(n node) bool {
	return w.neverDrift(n) || w.ignored(n)
}

// neverDrift: status, the API server's metadata, and the GitOps tools' bookkeeping labels and
// annotations (SPEC "Drift: what counts").
func (w *walker) neverDrift(n node) bool {
	switch {
	case w.under(n):
		switch n.key {
		case "apiVersion", "kind", "status":
			return true
		}
	case w.under(n, "metadata"):
		switch n.key {
		case "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
			"managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds":
			return true
		}
	case w.under(n, "metadata", "annotations"):
		return bookkeepingAnnotation(n.key)
	case w.under(n, "metadata", "labels"):
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
	switch w.path(n) {
	case "spec.clusterIP", "spec.clusterIPs", "spec.healthCheckNodePort":
		return true
	}
	return n.key == "nodePort" && n.depth > 0 && strings.HasPrefix(w.pathTo(n.depth-1), "spec.ports[")
}
