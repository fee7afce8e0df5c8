package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
)

func TestOwnership(t *testing.T) {
	markers := MarkersFrom(config.Default())
	argoLabel := markers
	argoLabel.ArgoCDLabel = "app.kubernetes.io/instance"
	tests := []struct {
		name     string
		markers  Markers
		versions []*meta
		want     policies.Ownership
	}{
		{"unowned", markers, []*meta{{Labels: map[string]any{"app": "x"}}}, policies.Ownership{}},
		{"argo tracking id", markers, []*meta{{Annotations: map[string]any{argoTrackingID: "checkout:apps/Deployment:prod/checkout"}}},
			policies.Ownership{Owned: true, Marker: argoTrackingID, Owner: `Argo CD application "checkout"`}},
		{"argo app in any namespace", markers, []*meta{{Annotations: map[string]any{argoTrackingID: "team-a_checkout:apps/Deployment:prod/checkout"}}},
			policies.Ownership{Owned: true, Marker: argoTrackingID, Owner: `Argo CD application "team-a/checkout"`}},
		{"flux kustomization", markers, []*meta{{Labels: map[string]any{fluxKustomization: "apps", fluxKustomizationNS: "flux-system"}}},
			policies.Ownership{Owned: true, Marker: fluxKustomization, Owner: "Flux Kustomization flux-system/apps"}},
		{"flux helm release", markers, []*meta{{Labels: map[string]any{fluxHelmRelease: "redis", fluxHelmReleaseNS: "data"}}},
			policies.Ownership{Owned: true, Marker: fluxHelmRelease, Owner: "Flux HelmRelease data/redis"}},
		{"driftgate owned-by", markers, []*meta{{Labels: map[string]any{"driftgate.io/owned-by": "platform"}}},
			policies.Ownership{Owned: true, Marker: "driftgate.io/owned-by", Owner: `"platform" (driftgate.io/owned-by)`}},
		{"marker only on the old version (being stripped)", markers,
			[]*meta{{}, {Annotations: map[string]any{argoTrackingID: "checkout:x"}}},
			policies.Ownership{Owned: true, Marker: argoTrackingID, Owner: `Argo CD application "checkout"`}},
		{"delete: no new version", markers, []*meta{nil, {Labels: map[string]any{fluxKustomization: "apps"}}},
			policies.Ownership{Owned: true, Marker: fluxKustomization, Owner: "Flux Kustomization apps"}},
		{"argo label tracking off by default", markers, []*meta{{Labels: map[string]any{"app.kubernetes.io/instance": "web"}}}, policies.Ownership{}},
		{"argo label tracking when configured", argoLabel, []*meta{{Labels: map[string]any{"app.kubernetes.io/instance": "web"}}},
			policies.Ownership{Owned: true, Marker: "app.kubernetes.io/instance", Owner: `Argo CD application "web"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.markers.Ownership(tt.versions...)); diff != "" {
				t.Errorf("ownership (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGuardedChanges(t *testing.T) {
	m := MarkersFrom(config.Default())
	tests := []struct {
		name      string
		old, new  *meta
		namespace bool
		want      []policies.GuardedChange
	}{
		{"create with a marker", nil, &meta{Labels: map[string]any{fluxKustomization: "apps"}}, false,
			[]policies.GuardedChange{{Path: `metadata.labels["kustomize.toolkit.fluxcd.io/name"]`, Kind: "marker"}}},
		{"marker removed", &meta{Annotations: map[string]any{argoTrackingID: "a"}}, &meta{}, false,
			[]policies.GuardedChange{{Path: `metadata.annotations["argocd.argoproj.io/tracking-id"]`, Kind: "marker"}}},
		{"pause switch added", &meta{}, &meta{Annotations: map[string]any{"kustomize.toolkit.fluxcd.io/reconcile": "disabled"}}, false,
			[]policies.GuardedChange{{Path: `metadata.annotations["kustomize.toolkit.fluxcd.io/reconcile"]`, Kind: "pauseSwitch"}}},
		{"mode label on a namespace", &meta{}, &meta{Labels: map[string]any{config.ModeLabel: "dryrun"}}, true,
			[]policies.GuardedChange{{Path: `metadata.labels["driftgate.io/mode"]`, Kind: "modeSwitch"}}},
		{"mode label elsewhere is just a label", &meta{}, &meta{Labels: map[string]any{config.ModeLabel: "dryrun"}}, false, nil},
		{"unchanged markers", &meta{Labels: map[string]any{fluxKustomization: "apps"}}, &meta{Labels: map[string]any{fluxKustomization: "apps"}}, false, nil},
		{"delete guards nothing", &meta{Labels: map[string]any{fluxKustomization: "apps"}}, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, m.GuardedChanges(tt.old, tt.new, tt.namespace)); diff != "" {
				t.Errorf("guarded changes (-want +got):\n%s", diff)
			}
		})
	}
}
