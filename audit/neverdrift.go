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

// serverAssigned reports whether the node holds a value the API server assigned, which is never
// drift when Git leaves it unset or empty: a Service's cluster IPs always, and its node ports and
// health-check node port unless a person's tool owns the value in managedFields. The API server's
// own assignment is owned by no manager; a person who pinned a port (kubectl patch, edit) owns
// it, and that is additive drift (rule 2): extra judges it like any field Git does not set, and
// where Git sets it empty compare reports it by rule 1.
func (w *walker) serverAssigned(n node) bool {
	if w.group != "" || w.kind != "Service" {
		return false
	}
	p := w.segs[:n.depth]
	switch {
	case isPath(p, "spec", "clusterIP"), isPath(p, "spec", "clusterIPs"):
		return true
	case isPath(p, "spec", "healthCheckNodePort"):
		return !n.own.person()
	case n.key == "nodePort" && len(p) == 4 && rootIs(p, "spec", "ports") && p[2].IsItem():
		return !n.own.person()
	}
	return false
}

// person reports whether a person's tool owns the node or something below it.
func (own owners) person() bool {
	_, ok := own.first(func(o owner) bool { return o.m.human })
	return ok
}
