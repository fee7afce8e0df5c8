package loop

import (
	"fmt"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
)

// argoResourceFilter is Argo CD's resource filter (argocd-cm resource.exclusions and
// resource.inclusions, and the kinds Argo CD always excludes): what it leaves out of what it
// compares and applies, for the cluster Argo CD runs in.
type argoResourceFilter struct{ exclusions, inclusions []argoFilteredResource }

// argoFilteredResource is one entry of resource.exclusions or resource.inclusions: API groups
// (globs), kinds ("*" for any) and clusters (globs, by server URL); an empty list matches any.
type argoFilteredResource struct {
	APIGroups []string `json:"apiGroups,omitempty"`
	Kinds     []string `json:"kinds,omitempty"`
	Clusters  []string `json:"clusters,omitempty"`
}

// argoCoreExclusions are the kinds Argo CD never manages, whatever argocd-cm says.
func argoCoreExclusions() []argoFilteredResource {
	return []argoFilteredResource{
		{APIGroups: []string{"events.k8s.io", "metrics.k8s.io"}},
		{APIGroups: []string{""}, Kinds: []string{"Event"}},
		{APIGroups: []string{"coordination.k8s.io"}, Kinds: []string{"Lease"}},
	}
}

// argoResourceFilterOf reads the filter from argocd-cm's data.
func argoResourceFilterOf(cm map[string]string) (argoResourceFilter, error) {
	f := argoResourceFilter{exclusions: argoCoreExclusions()}
	for _, key := range []string{"resource.exclusions", "resource.inclusions"} {
		var entries []argoFilteredResource
		if err := yaml.Unmarshal([]byte(cm[key]), &entries); err != nil {
			return argoResourceFilter{}, fmt.Errorf("argocd-cm %s is not a YAML list of apiGroups, kinds and clusters: %w", key, err)
		}
		if key == "resource.exclusions" {
			f.exclusions = append(f.exclusions, entries...)
		} else {
			f.inclusions = entries
		}
	}
	return f, nil
}

// excluded reports whether Argo CD leaves objects of the group and kind out in the cluster it
// runs in (argoInCluster): excluded ones are, and where inclusions are given for the cluster,
// those not included.
func (f argoResourceFilter) excluded(group, kind string) bool {
	match := func(r argoFilteredResource) bool { return r.matches(group, kind, argoInCluster) }
	switch {
	case slices.ContainsFunc(f.exclusions, match):
		return true
	case slices.ContainsFunc(f.inclusions, match):
		return false
	}
	return slices.ContainsFunc(f.inclusions, func(r argoFilteredResource) bool { return anyGlob(r.Clusters, argoInCluster) })
}

// keep is objs without those Argo CD excludes.
func (f argoResourceFilter) keep(objs []audit.Object) []audit.Object {
	return slices.DeleteFunc(objs, func(o audit.Object) bool { return f.excluded(o.Group(), o.Kind()) })
}

func (r argoFilteredResource) matches(group, kind, cluster string) bool {
	return anyGlob(r.APIGroups, group) && (len(r.Kinds) == 0 || slices.Contains(r.Kinds, "*") || slices.Contains(r.Kinds, kind)) &&
		anyGlob(r.Clusters, cluster)
}

// anyGlob reports whether one of patterns matches s as Argo CD's globs do (gobwas/glob, no
// separators; one that does not compile matches nothing); no patterns match anything.
func anyGlob(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	return slices.ContainsFunc(patterns, func(p string) bool { return source.ArgoGlob(p)(s) })
}
