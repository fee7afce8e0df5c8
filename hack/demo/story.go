package main

import (
	"strconv"

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
	sourceName   = "shop"
	interval     = "2s" // how often the audit fetches Git: short, so the demo is quick

	fluxContext  = "flux" // devcluster's context with kustomize-controller's token
	fluxManager  = "kustomize-controller"
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

// gitSourceYAML is the GitSource the demo applies for the repository at url.
func gitSourceYAML(url string) string {
	return `apiVersion: driftgate.io/v1alpha1
kind: GitSource
metadata:
  name: ` + sourceName + `
spec:
  url: ` + strconv.Quote(url) + `   # a local Git work tree; https:// and ssh:// work too
  path: ` + appDir + `
  interval: ` + interval + `
`
}
