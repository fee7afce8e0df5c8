package audit

import (
	"math"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// drift records a field Git sets that differs live; the manager is whoever owns the live value.
func (w *walker) drift(n node, desired, live any) {
	w.report(n, desired, live, n.own.managerName())
}

func (w *walker) report(n node, desired, live any, manager string) {
	category, severity := w.classify(n, desired, live)
	if w.secret && w.isSecretData(n) {
		desired, live = mask(desired), mask(live)
	}
	w.fields = append(w.fields, Field{
		Path: w.path(n), Desired: desired, Live: live, Category: category, Severity: severity, Manager: manager,
	})
}

// classify gives a drifted field its category and severity (SPEC "Diff and audit JSON"): high for
// images, Secrets, scaling by more than 50% and RBAC rules; medium for env, ports, volumes,
// resources, minor scaling and other spec fields; low for labels, annotations, other metadata.
func (w *walker) classify(n node, desired, live any) (Category, Severity) {
	p := w.path(n)
	switch {
	case w.secret && w.isSecretData(n):
		return SecretChange, High
	case w.group == "" && w.kind == "ConfigMap" && (hasRoot(p, "data") || hasRoot(p, "binaryData")):
		return ConfigMapChange, Medium
	case has(p, "annotations"):
		return AnnotationChange, Low
	case hasRoot(p, "metadata.labels") || strings.Contains(p, ".metadata.labels"):
		return LabelChange, Low
	case hasRoot(p, "metadata"):
		return Other, Low
	case w.isRBAC(p):
		return ConfigurationChange, High
	case n.key == "image" || strings.HasSuffix(p, ".image"):
		return VersionChange, High
	case w.isScaling(p):
		return Scaling, scalingSeverity(desired, live)
	case has(p, "resources"):
		return ResourceChange, Medium
	case has(p, "env") || has(p, "envFrom"):
		return ConfigurationChange, Medium
	case has(p, "ports") || n.key == "targetPort" || n.key == "nodePort" || n.key == "containerPort":
		return PortChange, Medium
	case has(p, "volumes") || has(p, "volumeMounts") || has(p, "volumeClaimTemplates"):
		return VolumeChange, Medium
	case hasRoot(p, "spec") || hasRoot(p, "data"):
		return ConfigurationChange, Medium
	}
	return Other, Medium
}

func (w *walker) isRBAC(p string) bool {
	if w.group != "rbac.authorization.k8s.io" {
		return false
	}
	return hasRoot(p, "rules") || hasRoot(p, "subjects") || hasRoot(p, "roleRef") || hasRoot(p, "aggregationRule")
}

func (w *walker) isScaling(p string) bool {
	switch p {
	case "spec.replicas", "spec.parallelism":
		return true
	case "spec.minReplicas", "spec.maxReplicas":
		return w.kind == "HorizontalPodAutoscaler"
	}
	return false
}

// scalingSeverity is high for a change by more than 50% of Git's value, else medium.
func scalingSeverity(desired, live any) Severity {
	d, errD := strconv.ParseFloat(fieldpath.Scalar(desired), 64)
	l, errL := strconv.ParseFloat(fieldpath.Scalar(live), 64)
	switch {
	case desired == nil || live == nil || errD != nil || errL != nil:
		return Medium
	case d == 0:
		if l == 0 {
			return Medium
		}
		return High
	case math.Abs(l-d)/d > 0.5:
		return High
	}
	return Medium
}

// hasRoot reports whether path is root or below it.
func hasRoot(path, root string) bool {
	if !strings.HasPrefix(path, root) {
		return false
	}
	rest := path[len(root):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// has reports whether a segment of path is the map key name.
func has(path, name string) bool {
	for i := 0; ; {
		j := strings.Index(path[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before := start == 0 || path[start-1] == '.'
		after := end == len(path) || path[end] == '.' || path[end] == '['
		if before && after {
			return true
		}
		i = end
	}
}
