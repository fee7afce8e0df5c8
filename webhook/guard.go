package webhook

import (
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/policies"
)

// GuardedChanges lists the ownership markers and pause switches that differ between old and new
// (either may be nil: a create adds, a delete removes nothing worth guarding), and, on a
// Namespace, driftgate's own mode label: whoever can change it can switch enforcement off.
func (m Markers) GuardedChanges(old, new *meta, namespace bool) []policies.GuardedChange {
	if new == nil {
		return nil
	}
	if old == nil {
		old = &meta{}
	}
	var out []policies.GuardedChange
	add := func(section string, key string, oldMap, newMap map[string]any, kind string) {
		ov, oOK := metaValue(oldMap, key)
		nv, nOK := metaValue(newMap, key)
		if ov != nv || oOK != nOK {
			out = append(out, policies.GuardedChange{Path: fieldpath.Key("metadata."+section, key), Kind: kind})
		}
	}
	for _, k := range m.Annotations {
		add("annotations", k, old.Annotations, new.Annotations, "marker")
	}
	for _, k := range m.Labels {
		add("labels", k, old.Labels, new.Labels, "marker")
	}
	if m.ArgoCDLabel != "" {
		add("labels", m.ArgoCDLabel, old.Labels, new.Labels, "marker")
	}
	for _, k := range m.PauseSwitches {
		add("annotations", k, old.Annotations, new.Annotations, "pauseSwitch")
	}
	if namespace {
		add("labels", config.ModeLabel, old.Labels, new.Labels, "modeSwitch")
	}
	return out
}
