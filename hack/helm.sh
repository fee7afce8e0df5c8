#!/usr/bin/env bash
# Builds the helm CLI from its Go module, for linting and rendering charts/driftgate in the tests.
#
# No helm binary is installed and no release download is reachable from this project's machines,
# so helm is built like hack/kubectl.sh builds kubectl, through the Go module proxy, and cached
# outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/helm/<v>/helm
# A second run finds it and does nothing. Prints the binary's path on stdout (logs on stderr).
#
# helm.sh/helm/v4 has no replace directives, so a plain `go install MODULE@VERSION` builds it,
# outside this repository's go.mod, into a temporary GOBIN. The version variables are set as
# helm's Makefile sets them for a tagged release, else `helm version` reports "v4.3".
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"

HELM_VERSION="${HELM_VERSION:-4.3.1}"
DEST="${CACHE_HOME}/helm/${HELM_VERSION}"

build_helm() {
  local major="${HELM_VERSION%%.*}"
  local pkg="helm.sh/helm/v${major}"
  local work; work="$(mktemp -d)"
  local ld="-s -w -X ${pkg}/internal/version.version=v${HELM_VERSION}"
  ld+=" -X ${pkg}/internal/version.metadata= -X ${pkg}/internal/version.gitTreeState=clean"
  # From / so that no go.mod (this repository's included) takes part; GOFLAGS cleared so a
  # caller's -mod=... cannot break `go install MODULE@VERSION`.
  (cd / && CGO_ENABLED=0 GOFLAGS= GOBIN="$work" go install -trimpath -ldflags "$ld" "${pkg}/cmd/helm@v${HELM_VERSION}")
  cp "$work/helm" "$DEST/helm.tmp"   # then a rename in place: no half-written helm is ever found
  mv "$DEST/helm.tmp" "$DEST/helm"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/helm" ] || stage "helm v${HELM_VERSION}" "renders and lints the chart in the tests" 4 \
  "${CACHE_HOME}/logs/helm-${HELM_VERSION}.log" -- build_helm
echo "$DEST/helm"
