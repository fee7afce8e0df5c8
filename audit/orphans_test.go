package audit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOrphansBelongToTheSourcesApps: a live object Git lacks is orphaned only when its ownership
// marker names a GitOps app that owns a live object Git has; other apps' objects (Flux's own
// flux-system, other Kustomizations, HelmReleases, Argo CD Applications) are not this Git's
// orphans, whichever kinds it declares.
func TestOrphansBelongToTheSourcesApps(t *testing.T) {
	const (
		fluxShop     = `{kustomize.toolkit.fluxcd.io/name: shop, kustomize.toolkit.fluxcd.io/namespace: flux-system}`
		fluxSystem   = `{kustomize.toolkit.fluxcd.io/name: flux-system, kustomize.toolkit.fluxcd.io/namespace: flux-system}`
		fluxShopTeam = `{kustomize.toolkit.fluxcd.io/name: shop, kustomize.toolkit.fluxcd.io/namespace: team-a}`
		helmShop     = `{helm.toolkit.fluxcd.io/name: shop, helm.toolkit.fluxcd.io/namespace: shop}`
		helmOther    = `{helm.toolkit.fluxcd.io/name: shop, helm.toolkit.fluxcd.io/namespace: other}`
	)
	argo := func(app, kind, ns, name string) string {
		return `{argocd.argoproj.io/tracking-id: "` + app + `:/` + kind + `:` + ns + `/` + name + `"}`
	}
	cm := func(ns, name, labels, annotations string) string {
		y := `{apiVersion: v1, kind: ConfigMap, metadata: {name: ` + name + `, namespace: ` + ns
		if labels != "" {
			y += `, labels: ` + labels
		}
		if annotations != "" {
			y += `, annotations: ` + annotations
		}
		return y + `}}`
	}
	namespace := func(name, labels string) string {
		return `{apiVersion: v1, kind: Namespace, metadata: {name: ` + name + `, labels: ` + labels + `}}`
	}
	tests := []struct {
		name    string
		opts    func(*Options)
		desired []string
		live    []string
		want    []string // the orphans, "Kind namespace/name"
	}{{
		name:    "another Kustomization's objects of the same kinds",
		desired: []string{namespace("shop", "{}"), cm("shop", "web", "", "")},
		live: []string{
			namespace("shop", fluxShop), cm("shop", "web", fluxShop, ""),
			cm("shop", "hotfix", fluxShop, ""),
			namespace("flux-system", fluxSystem), namespace("nodrift", `{kustomize.toolkit.fluxcd.io/name: nodrift, kustomize.toolkit.fluxcd.io/namespace: flux-system}`),
			cm("shop", "from-flux-system", fluxSystem, ""),
		},
		want: []string{"ConfigMap shop/hotfix"},
	}, {
		name:    "a Kustomization of the same name in another namespace",
		desired: []string{cm("shop", "web", "", "")},
		live:    []string{cm("shop", "web", fluxShop, ""), cm("shop", "team", fluxShopTeam, ""), cm("shop", "old", fluxShop, "")},
		want:    []string{"ConfigMap shop/old"},
	}, {
		name:    "HelmReleases by name and namespace",
		desired: []string{cm("shop", "web", "", "")},
		live:    []string{cm("shop", "web", helmShop, ""), cm("shop", "old", helmShop, ""), cm("shop", "other", helmOther, "")},
		want:    []string{"ConfigMap shop/old"},
	}, {
		name:    "Argo CD Applications by the tracking-id's app",
		desired: []string{cm("shop", "web", "", "")},
		live: []string{
			cm("shop", "web", "", argo("shop", "ConfigMap", "shop", "web")),
			cm("shop", "old", "", argo("shop", "ConfigMap", "shop", "old")),
			cm("shop", "infra", "", argo("infra", "ConfigMap", "shop", "infra")),
			cm("shop", "shop2", "", argo("shop2", "ConfigMap", "shop", "shop2")),
		},
		want: []string{"ConfigMap shop/old"},
	}, {
		name:    "the Argo CD tracking label names the same Application as the tracking-id",
		opts:    func(o *Options) { o.Markers.ArgoCDTrackingLabel = "app.kubernetes.io/instance" },
		desired: []string{cm("shop", "web", "", "")},
		live: []string{
			cm("shop", "web", "", argo("shop", "ConfigMap", "shop", "web")),
			cm("shop", "old", `{app.kubernetes.io/instance: shop}`, ""),
			cm("shop", "infra", `{app.kubernetes.io/instance: infra}`, ""),
		},
		want: []string{"ConfigMap shop/old"},
	}, {
		name:    "the Argo CD tracking label is no marker unless configured",
		desired: []string{cm("shop", "web", `{app.kubernetes.io/instance: shop}`, "")},
		live:    []string{cm("shop", "web", `{app.kubernetes.io/instance: shop}`, ""), cm("shop", "old", `{app.kubernetes.io/instance: shop}`, "")},
	}, {
		name:    "driftgate.io/owned-by by value, label or annotation",
		desired: []string{cm("shop", "web", "", "")},
		live: []string{
			cm("shop", "web", `{driftgate.io/owned-by: shop}`, ""),
			cm("shop", "old-label", `{driftgate.io/owned-by: shop}`, ""),
			cm("shop", "old-annotation", "", `{driftgate.io/owned-by: shop}`),
			cm("shop", "infra", `{driftgate.io/owned-by: infra}`, ""),
		},
		want: []string{"ConfigMap shop/old-annotation", "ConfigMap shop/old-label"},
	}, {
		name:    "several apps in one source: the union of their markers",
		desired: []string{namespace("shop", "{}"), cm("shop", "web", "", ""), cm("shop", "cart", "", "")},
		live: []string{
			namespace("shop", fluxSystem), cm("shop", "web", fluxShop, ""),
			cm("shop", "cart", "", argo("cart", "ConfigMap", "shop", "cart")),
			cm("shop", "old-shop", fluxShop, ""), cm("shop", "old-system", fluxSystem, ""),
			cm("shop", "old-cart", "", argo("cart", "ConfigMap", "shop", "old-cart")),
			cm("shop", "helm", helmShop, ""),
		},
		want: []string{"ConfigMap shop/old-cart", "ConfigMap shop/old-shop", "ConfigMap shop/old-system"},
	}, {
		name:    "every Git object missing live: no marker known, no orphans",
		desired: []string{namespace("shop", "{}"), cm("shop", "web", "", "")},
		live:    []string{namespace("nodrift", fluxShop), cm("shop", "old", fluxShop, "")},
	}, {
		name:    "Git's live objects carry no marker: no orphans",
		desired: []string{cm("shop", "web", "", "")},
		live:    []string{cm("shop", "web", "", ""), cm("shop", "old", fluxShop, "")},
	}, {
		name:    "hooks the app ran are no orphans: Argo CD's, Skip included, and Helm's but crd-install",
		desired: []string{cm("shop", "web", "", "")},
		live: []string{
			cm("shop", "web", fluxShop, ""),
			`{apiVersion: batch/v1, kind: Job, metadata: {name: migrate, namespace: shop, labels: ` + fluxShop + `, annotations: {argocd.argoproj.io/hook: PostSync}}}`,
			cm("shop", "skipped", fluxShop, `{argocd.argoproj.io/hook: Skip}`),
			cm("shop", "helm-test", fluxShop, `{helm.sh/hook: test}`),
			cm("shop", "crd-install", fluxShop, `{helm.sh/hook: crd-install}`),
		},
		want: []string{"ConfigMap shop/crd-install"},
	}, {
		name:    "Argo CD: IgnoreExtraneous, and a tracking-id naming another object (copied onto it), make no orphan",
		desired: []string{cm("shop", "web", "", "")},
		live: []string{
			cm("shop", "web", "", argo("shop", "ConfigMap", "shop", "web")),
			cm("shop", "extraneous", "", `{argocd.argoproj.io/tracking-id: "shop:/ConfigMap:shop/extraneous", argocd.argoproj.io/compare-options: "ServerSideDiff=true, IgnoreExtraneous"}`),
			cm("shop", "copy", "", argo("shop", "ConfigMap", "shop", "web")),
			cm("shop", "old", "", argo("shop", "ConfigMap", "shop", "old")),
		},
		want: []string{"ConfigMap shop/old"},
	}, {
		name:    "an unmatched object without a marker is never an orphan",
		desired: []string{cm("shop", "web", "", "")},
		live:    []string{cm("shop", "web", fluxShop, ""), cm("shop", "manual", "", "")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var desired, live []Object
			for _, y := range tt.desired {
				desired = append(desired, parseOne(t, "desired", y))
			}
			for _, y := range tt.live {
				live = append(live, parseOne(t, "live", y))
			}
			r, err := newTestDiffer(t, tt.opts).Diff(desired, live)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, o := range r.Objects {
				if o.Status == Orphaned {
					got = append(got, o.Kind+" "+o.Namespace+"/"+o.Name)
				}
			}
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("orphans (-want +got):\n%s", diff)
			}
			if r.Summary.Orphaned != len(want) {
				t.Errorf("summary counts %d orphaned, want %d", r.Summary.Orphaned, len(want))
			}
		})
	}
}
