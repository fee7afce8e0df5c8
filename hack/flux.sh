#!/usr/bin/env bash
# Builds Flux's source-controller and kustomize-controller from their Go modules, for the dev
# cluster, the demo and the tests that run the real controllers, and copies their CRDs.
#
# No Flux release download is reachable from this project's machines, so each controller is built
# like hack/controlplane.sh builds kube-apiserver, through the Go module proxy: a throwaway builder
# module requires the controller and copies the replace directives of the controller's own go.mod
# (all but its local ./api one, which the published api module stands in for), plus the replaces
# this machine's proxy needs. Cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/flux/<v>/{source-controller,kustomize-controller,crds/}
# A second run finds them and does nothing. Prints the directory on stdout; stage lines on stderr.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"
# shellcheck source=lib/replaces.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/replaces.sh"

FLUX_VERSION="${FLUX_VERSION:-1.9.6}"   # v1.10.x needs Go 1.27 and modules the proxy refuses
DEST="${CACHE_HOME}/flux/${FLUX_VERSION}"

# extra_replaces are what the proxy here needs beyond the controller's own replaces.
extra_replaces() {
  case "$1" in
    source-controller) echo "github.com/fluxcd/pkg/artifact=github.com/fluxcd/pkg/artifact@v0.18.0" ;;  # v0.18.3 is refused
  esac
}

# build_controller NAME: builds github.com/fluxcd/NAME at FLUX_VERSION into DEST/NAME and copies
# the module's config/crd/bases into DEST/crds.
build_controller() {
  local name="$1" mod="github.com/fluxcd/$1"
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    printf 'module driftgate.local/%sbuilder\n\ngo 1.26\n\nrequire %s v%s\n' "$name" "$mod" "$FLUX_VERSION" > go.mod
    local info gomod dir
    info="$(GOFLAGS=-mod=mod go mod download -json "${mod}@v${FLUX_VERSION}")"
    gomod="$(printf '%s' "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    dir="$(printf '%s' "$info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    replaces_of "$gomod" > replaces.txt
    extra_replaces "$name" >> replaces.txt
    while read -r rep; do [ -n "$rep" ] && go mod edit -replace "$rep"; done < replaces.txt
    GOFLAGS=-mod=mod go get "${mod}@v${FLUX_VERSION}"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "${DEST}/${name}.tmp" "$mod"
    mkdir -p "${DEST}/crds"
    cp "$dir"/config/crd/bases/*.yaml "${DEST}/crds/"
  )
  mv "${DEST}/${name}.tmp" "${DEST}/${name}"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/source-controller" ] || stage "Flux source-controller v${FLUX_VERSION}" \
  "serves Git repositories to kustomize-controller in the dev cluster and the Flux tests" 8 \
  "${CACHE_HOME}/logs/flux-source-controller-${FLUX_VERSION}.log" -- build_controller source-controller
[ -x "$DEST/kustomize-controller" ] || stage "Flux kustomize-controller v${FLUX_VERSION}" \
  "applies Git to the dev cluster and the Flux tests, as in a real GitOps cluster" 8 \
  "${CACHE_HOME}/logs/flux-kustomize-controller-${FLUX_VERSION}.log" -- build_controller kustomize-controller
echo "$DEST"
