package main

import (
	"k8s.io/apimachinery/pkg/types"
)

// The story's names and values. examples/checkout holds the app; these must match it.
const (
	ticket       = "INC-1001"
	namespace    = "shop"
	deployment   = "checkout"
	container    = "app"
	appDir       = "checkout" // the app's directory in the demo repository
	manifestFile = appDir + "/deployment.yaml"
	oldImage     = "registry.example.com/checkout:v1.2.3"
	newImage     = "registry.example.com/checkout:v1.2.4"
	oldMemory    = "256Mi"
	newMemory    = "512Mi"
	repoName     = "shop" // the repository on the cluster's Git server: shop.git

	fluxNamespace = "flux-system"
	fluxName      = "shop" // the GitRepository and the Kustomization; examples/checkout's labels name it
	fluxInterval  = "10s"  // how often Flux fetches Git and reconciles: short, as in a busy cluster
	fluxManager   = "kustomize-controller"
	reconciles    = 2 // how many Flux reconciles alice's fix lives through in the demo
	// sourceName is the GitSource driftgate keeps for Flux's Kustomization
	// (loop.DiscoveredName; TestSourceNameIsDiscovered checks it).
	sourceName = "kustomization." + fluxNamespace + "." + fluxName

	requester    = "alice"
	approver     = "bob"
	approverGrp  = "driftgate-approvers"
	reason       = "checkout v1.2.3 crashes on the new payment API: roll out v1.2.4 and more memory"
	approval     = "paged in, agreed"
	revokeReason = ticket + " resolved"

	imagePathSuffix  = ".image"
	memoryPathSuffix = ".resources.limits.memory"
)

func checkoutKey() types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: deployment}
}

// imagePatch is the strategic merge patch `kubectl set image` sends for the new image.
func imagePatch() []byte {
	return []byte(`{"spec":{"template":{"spec":{"containers":[{"name":"` + container + `","image":"` + newImage + `"}]}}}}`)
}

// fluxYAML is Flux's GitRepository and Kustomization for the repository at url, as a platform
// engineer writes them: Flux fetches main and applies checkout/ every fluxInterval, pruning what
// Git drops.
func fluxYAML(url string) string {
	return `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: ` + fluxName + `
  namespace: ` + fluxNamespace + `
spec:
  url: ` + url + `
  ref:
    branch: ` + branch + `
  interval: ` + fluxInterval + `
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ` + fluxName + `
  namespace: ` + fluxNamespace + `
spec:
  sourceRef:
    kind: GitRepository
    name: ` + fluxName + `
  path: ./` + appDir + `
  interval: ` + fluxInterval + `
  prune: true
  timeout: 1m
`
}
