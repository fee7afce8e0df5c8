package audit

import (
	"math"
	"slices"
	"strconv"

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
	p := w.segs[:n.depth]
	switch {
	case w.secret && w.isSecretData(n):
		return SecretChange, High
	case w.group == "" && w.kind == "ConfigMap" && (rootIs(p, "data") || rootIs(p, "binaryData")):
		return ConfigMapChange, Medium
	case hasKey(p, "annotations"):
		return AnnotationChange, Low
	case rootIs(p, "metadata", "labels") || hasKeys(p, "metadata", "labels"):
		return LabelChange, Low
	case rootIs(p, "metadata"):
		return Other, Low
	case w.isRBAC(p):
		return ConfigurationChange, High
	case n.key == "image":
		return VersionChange, High
	case w.isScaling(p):
		return Scaling, scalingSeverity(desired, live)
	case hasKey(p, "resources"):
		return ResourceChange, Medium
	case hasKey(p, "env", "envFrom"):
		return ConfigurationChange, Medium
	case hasKey(p, "ports") || n.key == "targetPort" || n.key == "nodePort" || n.key == "containerPort":
		return PortChange, Medium
	case hasKey(p, "volumes", "volumeMounts", "volumeClaimTemplates"):
		return VolumeChange, Medium
	case rootIs(p, "spec") || rootIs(p, "data"):
		return ConfigurationChange, Medium
	}
	return Other, Medium
}

func (w *walker) isRBAC(p []fieldpath.Segment) bool {
	if w.group != "rbac.authorization.k8s.io" {
		return false
	}
	return rootIs(p, "rules") || rootIs(p, "subjects") || rootIs(p, "roleRef") || rootIs(p, "aggregationRule")
}

func (w *walker) isScaling(p []fieldpath.Segment) bool {
	switch {
	case isPath(p, "spec", "replicas"), isPath(p, "spec", "parallelism"):
		return true
	case isPath(p, "spec", "minReplicas"), isPath(p, "spec", "maxReplicas"):
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

// rootIs reports whether path starts with the map keys given.
func rootIs(path []fieldpath.Segment, keys ...string) bool {
	return len(path) >= len(keys) && isPath(path[:len(keys)], keys...)
}

// isPath reports whether path is exactly the map keys given.
func isPath(path []fieldpath.Segment, keys ...string) bool {
	if len(path) != len(keys) {
		return false
	}
	for i, k := range keys {
		if key, ok := path[i].MapKey(); !ok || key != k {
			return false
		}
	}
	return true
}

// hasKey reports whether a segment of path is one of the map keys names.
func hasKey(path []fieldpath.Segment, names ...string) bool {
	for _, s := range path {
		if key, ok := s.MapKey(); ok && slices.Contains(names, key) {
			return true
		}
	}
	return false
}

// hasKeys reports whether the map keys given follow each other somewhere below the root.
func hasKeys(path []fieldpath.Segment, keys ...string) bool {
	for i := 1; i+len(keys) <= len(path); i++ {
		if isPath(path[i:i+len(keys)], keys...) {
			return true
		}
	}
	return false
}
