package webhook

import (
	"fmt"
	"strings"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KnownResource checks a grant scope's resource against the cluster's discovery: a resource the
// cluster does not serve in that group is refused, with the groups that serve it ("deployments"
// is deployments.apps). When discovery cannot answer, the resource is not refused for it.
func KnownResource(mapper apimeta.RESTMapper) func(group, resource string) error {
	return func(group, resource string) error {
		gvrs, err := mapper.ResourcesFor(schema.GroupVersionResource{Resource: resource})
		if err != nil && !apimeta.IsNoMatchError(err) {
			return nil
		}
		var elsewhere []string
		for _, gvr := range gvrs {
			if gvr.Group == group {
				return namespaced(mapper, gvr)
			}
			if name := ResourceName(gvr.Group, gvr.Resource); !strings.Contains(strings.Join(elsewhere, " "), name) {
				elsewhere = append(elsewhere, name)
			}
		}
		where := "the core group"
		if group != "" {
			where = "group " + group
		}
		if len(elsewhere) > 0 {
			return fmt.Errorf("the cluster serves no %s in %s; did you mean %s?", resource, where, strings.Join(elsewhere, " or "))
		}
		return fmt.Errorf("the cluster serves no resource %s in %s", resource, where)
	}
}

// namespaced refuses a cluster-scoped resource: a grant covers objects in its namespaces only.
func namespaced(mapper apimeta.RESTMapper, gvr schema.GroupVersionResource) error {
	gvk, err := mapper.KindFor(gvr)
	if err != nil {
		return nil
	}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil || m.Scope.Name() != apimeta.RESTScopeNameRoot {
		return nil
	}
	return fmt.Errorf("%s are cluster-scoped, and break-glass grants cover objects in their namespaces only: change them in Git", gvr.Resource)
}
