package config

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Default returns the configuration `driftgate serve` uses with no config file (SPEC Defaults).
func Default() *Config {
	return &Config{
		Identities: Identities{
			GitOps: []string{
				"system:serviceaccount:argocd:argocd-application-controller",
				"system:serviceaccount:flux-system:kustomize-controller",
				"system:serviceaccount:flux-system:helm-controller",
			},
			System: []string{"system:kube-controller-manager", "system:kube-scheduler"},
			// kube-controller-manager runs each controller (garbage collector, namespace
			// controller, HPA, ...) as its own service account in kube-system.
			SystemPrefixes: []string{"system:serviceaccount:kube-system:"},
			SystemGroups:   []string{"system:nodes"},
		},
		Markers: Markers{
			Annotations: []string{"argocd.argoproj.io/tracking-id", "driftgate.io/owned-by"},
			Labels: []string{
				"kustomize.toolkit.fluxcd.io/name",
				"helm.toolkit.fluxcd.io/name",
				"driftgate.io/owned-by",
			},
		},
		PauseSwitches: []string{
			"kustomize.toolkit.fluxcd.io/reconcile",
			"kustomize.toolkit.fluxcd.io/ssa",
			"argocd.argoproj.io/sync-options",
			"argocd.argoproj.io/compare-options",
			"argocd.argoproj.io/skip-reconcile",
		},
		Mode:   ModeEnforce,
		Policy: Policy{Timeout: metav1.Duration{Duration: 500 * time.Millisecond}},
		Webhook: Webhook{
			Namespace:         "driftgate-system",
			ServiceName:       "driftgate-webhook",
			ConfigurationName: "driftgate",
			FailurePolicy:     "Fail",
			TimeoutSeconds:    3,
		},
		BreakGlass: BreakGlass{
			ApprovalsRequired:  1,
			ApproverGroups:     []string{"driftgate-approvers"},
			AdminGroups:        []string{"system:masters"},
			MaxDuration:        metav1.Duration{Duration: 4 * time.Hour},
			PendingTimeout:     metav1.Duration{Duration: time.Hour},
			ClusterRole:        "edit",
			SelfHealProtection: true,
			ArgoCDNamespace:    "argocd",
		},
		Audit: Audit{
			GitOpsManagers: []string{"argocd-controller", "kustomize-controller", "helm-controller"},
			WorkDir:        "/tmp/driftgate/git",
			Resync:         metav1.Duration{Duration: 10 * time.Minute},
			Discover:       Discover{FluxKustomizations: true, FluxHelmReleases: true, ArgoCDApplications: true},
		},
	}
}
