package live

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// resolve finds the resource serving gk, preferring the given versions (those Git uses) and
// else the server's preferred one. ok is false when the server does not serve the kind at all.
func resolve(mapper meta.RESTMapper, gk schema.GroupKind, versions ...string) (m *meta.RESTMapping, ok bool, err error) {
	if len(versions) > 0 {
		m, err = mapper.RESTMapping(gk, versions...)
		if err == nil {
			return m, true, nil
		}
		if !meta.IsNoMatchError(err) {
			return nil, false, fmt.Errorf("finding the API resource of %s: %w", gk, err)
		}
	}
	m, err = mapper.RESTMapping(gk)
	switch {
	case meta.IsNoMatchError(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("finding the API resource of %s: %w", gk, err)
	}
	return m, true, nil
}

func namespaced(m *meta.RESTMapping) bool {
	return m.Scope.Name() == meta.RESTScopeNameNamespace
}
