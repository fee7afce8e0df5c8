package webhook

import (
	"fmt"
	"strings"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
)

// Well-known ownership markers, described for people in deny messages.
const (
	argoTrackingID      = "argocd.argoproj.io/tracking-id"
	fluxKustomization   = "kustomize.toolkit.fluxcd.io/name"
	fluxKustomizationNS = "kustomize.toolkit.fluxcd.io/namespace"
	fluxHelmRelease     = "helm.toolkit.fluxcd.io/name"
	fluxHelmReleaseNS   = "helm.toolkit.fluxcd.io/namespace"
)

// Markers finds the ownership markers and pause switches on object metadata.
type Markers struct {
	Annotations   []string
	Labels        []string
	ArgoCDLabel   string
	PauseSwitches []string
}

// MarkersFrom takes the markers from the configuration.
func MarkersFrom(cfg *config.Config) Markers {
	return Markers{
		Annotations:   cfg.Markers.Annotations,
		Labels:        cfg.Markers.Labels,
		ArgoCDLabel:   cfg.Markers.ArgoCDTrackingLabel,
		PauseSwitches: cfg.PauseSwitches,
	}
}

// meta is the part of an object's metadata admission looks at, as decoded JSON holds it.
type meta struct {
	Labels      map[string]any
	Annotations map[string]any
}

// metaFrom is the meta of typed metadata.
func metaFrom(labels, annotations map[string]string) *meta {
	return &meta{Labels: anyMap(labels), Annotations: anyMap(annotations)}
}

func anyMap(m map[string]string) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// metaValue looks key up in labels or annotations; a value that is not a string reads as "".
func metaValue(m map[string]any, key string) (string, bool) {
	v, ok := m[key]
	s, _ := v.(string)
	return s, ok
}

// Ownership reports who owns an object, looking at the new version first and then the old one,
// so removing a marker is decided as a write to an owned object.
func (m Markers) Ownership(versions ...*meta) policies.Ownership {
	for _, v := range versions {
		if v == nil {
			continue
		}
		if o, ok := m.ownerOf(v); ok {
			return o
		}
	}
	return policies.Ownership{}
}

func (m Markers) ownerOf(v *meta) (policies.Ownership, bool) {
	for _, key := range m.Annotations {
		if val, ok := metaValue(v.Annotations, key); ok {
			return policies.Ownership{Owned: true, Marker: key, Owner: describe(key, val, v.Labels)}, true
		}
	}
	for _, key := range m.Labels {
		if val, ok := metaValue(v.Labels, key); ok {
			return policies.Ownership{Owned: true, Marker: key, Owner: describe(key, val, v.Labels)}, true
		}
	}
	if key := m.ArgoCDLabel; key != "" {
		if val, ok := metaValue(v.Labels, key); ok {
			return policies.Ownership{Owned: true, Marker: key, Owner: fmt.Sprintf("Argo CD application %q", val)}, true
		}
	}
	return policies.Ownership{}, false
}

// describe names the owner as Argo CD and Flux users know it.
func describe(key, val string, labels map[string]any) string {
	switch key {
	case argoTrackingID:
		// <app>:<group>/<kind>:<namespace>/<name>, where app may be <app-namespace>_<app>.
		app, _, _ := strings.Cut(val, ":")
		return fmt.Sprintf("Argo CD application %q", strings.Replace(app, "_", "/", 1))
	case fluxKustomization:
		return "Flux Kustomization " + qualified(labels, fluxKustomizationNS, val)
	case fluxHelmRelease:
		return "Flux HelmRelease " + qualified(labels, fluxHelmReleaseNS, val)
	default:
		return fmt.Sprintf("%q (%s)", val, key)
	}
}

// qualified is name qualified by the namespace the label nsKey holds, if any.
func qualified(labels map[string]any, nsKey, name string) string {
	ns, _ := metaValue(labels, nsKey)
	if ns == "" {
		return name
	}
	return ns + "/" + name
}
