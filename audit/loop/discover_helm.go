package loop

import "github.com/driftgate/driftgate/api/v1alpha1"

// fluxHelmReleases are Flux HelmReleases (helm.toolkit.fluxcd.io/v2), as discovery keeps
// GitSources for them: helmrelease.<namespace>.<name>, fetched on the HelmRelease's interval.
func fluxHelmReleases() Discovered {
	return Discovered{Kind: v1alpha1.SourceKindHelmRelease, GVK: helmReleaseKind().WithVersion("v2"), Interval: specInterval}
}
