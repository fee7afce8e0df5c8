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
				return nil
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
