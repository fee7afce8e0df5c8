package loop

import "context"

// argoSettings are what argocd-cm says of how Argo CD renders and compares every Application:
// its resource tracking, the global ignoreDifferences and the resource filter.
type argoSettings struct {
	tracking argoTracking
	ignores  []argoIgnoreEntry
	filter   argoResourceFilter
}

// argoSettings reads argocd-cm, once for each fetch of an Application.
func (r *Reconciler) argoSettings(ctx context.Context) (argoSettings, error) {
	cm, err := r.argoConfigMap(ctx, r.argoNamespace(), argoCM)
	if err != nil {
		return argoSettings{}, err
	}
	s := argoSettings{tracking: argoTrackingOf(cm)}
	if s.ignores, err = argoGlobalIgnores(cm); err != nil {
		return argoSettings{}, err
	}
	if s.filter, err = argoResourceFilterOf(cm); err != nil {
		return argoSettings{}, err
	}
	return s, nil
}

// argoTracking is how Argo CD tracks what it applies (argocd-cm): by annotation (the default,
// argocd.argoproj.io/tracking-id, never drift), by label, or both; label names the label, and
// with both Argo CD cuts its value to 63 characters (truncate).
type argoTracking struct {
	label    string
	truncate bool
}

// argoTrackingOf reads application.resourceTrackingMethod and application.instanceLabelKey from
// argocd-cm's data.
func argoTrackingOf(cm map[string]string) argoTracking {
	switch method := cm["application.resourceTrackingMethod"]; method {
	case "label", "annotation+label":
		key := cm["application.instanceLabelKey"]
		if key == "" {
			key = "app.kubernetes.io/instance"
		}
		return argoTracking{label: key, truncate: method == "annotation+label"}
	}
	return argoTracking{}
}
