package audit

import (
	"maps"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// asApplied is a desired object of a built-in kind in the form Flux's kustomize-controller
// applies it: decoded into its Go type and encoded again, so every struct field without a
// pointer is present (a Deployment's spec.strategy, a Namespace's spec, a container's resources,
// empty; a Service port's targetPort, 0), the ports of containers and Services given protocol
// TCP where Git leaves it out, and no status or creationTimestamp. The controller's field manager
// owns what that form adds, though Git never wrote it; comparing Git in that form keeps it from
// reading as "applied from Git earlier". Where the API server stores something else for a value
// of that form, the form holds what is stored: a Service port's targetPort 0 is its port. Kinds
// the scheme does not know, and objects that do not decode, stay as they are.
func asApplied(s *runtime.Scheme, content map[string]any, gvk schema.GroupVersionKind) map[string]any {
	typed, err := s.New(gvk)
	if err != nil {
		return content
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(content, typed); err != nil {
		return content
	}
	out, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return content
	}
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		md = maps.Clone(md)
		delete(md, "creationTimestamp")
		out["metadata"] = md
	}
	defaultProtocols(out, gvk)
	return out
}

// defaultProtocols gives the ports of a Service, and of the containers of a workload's pod
// template, protocol TCP where it is unset, and a Service port whose targetPort is unset or 0
// its port as targetPort, as the API server stores it.
func defaultProtocols(obj map[string]any, gvk schema.GroupVersionKind) {
	spec := mapOf(obj["spec"])
	switch {
	case gvk.Group == "" && gvk.Kind == "Service":
		tcp(spec["ports"])
		targetPorts(spec["ports"])
	case gvk.Group == "" && gvk.Kind == "Pod":
		containerPorts(spec)
	case gvk.Group == "batch" && gvk.Kind == "CronJob":
		containerPorts(podSpec(mapOf(mapOf(spec["jobTemplate"])["spec"])))
	case (gvk.Group == "apps" || gvk.Group == "batch") && spec["template"] != nil:
		containerPorts(podSpec(spec))
	}
}

func podSpec(spec map[string]any) map[string]any { return mapOf(mapOf(spec["template"])["spec"]) }

func containerPorts(pod map[string]any) {
	containers, _ := pod["containers"].([]any)
	for _, c := range containers {
		tcp(mapOf(c)["ports"])
	}
}

func tcp(ports any) {
	list, _ := ports.([]any)
	for _, p := range list {
		if port := mapOf(p); port != nil {
			if proto, _ := port["protocol"].(string); proto == "" {
				port["protocol"] = "TCP"
			}
		}
	}
}

// targetPorts sets the targetPort of each Service port that has none, or 0 or "", to its port.
func targetPorts(ports any) {
	list, _ := ports.([]any)
	for _, p := range list {
		if port := mapOf(p); port != nil && isZero(port["targetPort"]) && port["port"] != nil {
			port["targetPort"] = port["port"]
		}
	}
}

// appliedHolds reports whether the live value lv is what Flux's typed form of Git makes of a
// field that form sets itself (applied): that value, or anything where the form holds a zero
// value, which the API server defaults as it will. A list or struct of the form is not compared.
func appliedHolds(applied, lv any) bool {
	switch applied.(type) {
	case []any, map[string]any:
		return true
	}
	return isZero(applied) || scalarEqual(applied, lv)
}
