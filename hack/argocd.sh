#!/usr/bin/env bash
# Builds Argo CD (its application controller and repo server, one multi-call binary) from its Go
# module, for the dev cluster and the tests that run the real Argo CD, and copies its CRDs.
#
# No Argo CD release download is reachable from this project's machines, so it is built like
# hack/flux.sh builds Flux: a throwaway builder module requires github.com/argoproj/argo-cd/v3 and
# copies the replace directives of its go.mod, all but the local ./gitops-engine one (the
# published gitops-engine module of the same version stands in for it). Argo CD's go.mod asks for
# Go 1.27, so this one build runs with GOTOOLCHAIN=go1.27.3 (the go command fetches that
# toolchain through the module proxy once); the project itself stays on its own Go. Cached
# outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/argocd/<v>/{argocd,argocd-application-controller,argocd-repo-server,git-verify-wrapper.sh,crds/}
# The binary picks its component from the name it is run by; the two names are symlinks to it.
# The directory goes first on the repo server's PATH.
# A second run finds them and does nothing. Prints the directory on stdout; stage lines on stderr.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"
# shellcheck source=lib/replaces.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/replaces.sh"

ARGOCD_VERSION="${ARGOCD_VERSION:-3.6.2}"
ARGOCD_TOOLCHAIN="${ARGOCD_TOOLCHAIN:-go1.27.3}"
DEST="${CACHE_HOME}/argocd/${ARGOCD_VERSION}"
MOD="github.com/argoproj/argo-cd/v3"
ENGINE="github.com/argoproj/argo-cd/gitops-engine"

build_argocd() {
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    export GOTOOLCHAIN="$ARGOCD_TOOLCHAIN" GOFLAGS=-mod=mod
    printf 'module driftgate.local/argocdbuilder\n\ngo 1.27\n\nrequire %s v%s\n' "$MOD" "$ARGOCD_VERSION" > go.mod
    local info gomod dir
    info="$(go mod download -json "${MOD}@v${ARGOCD_VERSION}")"
    gomod="$(printf '%s' "$info" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    dir="$(printf '%s' "$info" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
    replaces_of "$gomod" > replaces.txt
    while read -r rep; do [ -n "$rep" ] && go mod edit -replace "$rep"; done < replaces.txt
    # The gitops-engine module Argo CD's go.mod takes from ./gitops-engine, at the same version.
    local engine; engine="$(awk -v e="$ENGINE" '$1 ~ "^" e { print $1; exit }' "$gomod")"
    go mod edit -replace "${engine}=${engine}@v${ARGOCD_VERSION}"
    go get "${MOD}@v${ARGOCD_VERSION}"
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "${DEST}/argocd.tmp" "${MOD}/cmd"
    mkdir -p "${DEST}/crds"
    cp "$dir"/manifests/crds/*.yaml "${DEST}/crds/"
    rm -f "${DEST}/crds/kustomization.yaml"
  )
  mv "${DEST}/argocd.tmp" "${DEST}/argocd"
  ln -sf argocd "${DEST}/argocd-application-controller"
  ln -sf argocd "${DEST}/argocd-repo-server"
  rm -rf "$work"
}

# install_wrapper puts the module's hack/git-verify-wrapper.sh beside the binary: the repo server
# runs it from PATH for every manifest generation (its container image has it in
# /usr/local/bin), and a missing one reads "permission denied".
install_wrapper() {
  local dir
  dir="$(GOTOOLCHAIN="$ARGOCD_TOOLCHAIN" GOFLAGS=-mod=mod go mod download -json "${MOD}@v${ARGOCD_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  install -m 0755 "$dir/hack/git-verify-wrapper.sh" "${DEST}/git-verify-wrapper.sh"
}

# The repo server runs kustomize and helm for kustomize and helm sources, from its PATH, whose
# first entry is this directory: kustomize 5.8.2, built like hack/helm.sh builds helm, and
# hack/helm.sh's helm. Argo CD v3.6.2 ships kustomize 5.8.3 and helm 4.3.2
# (hack/tool-versions.sh there); kustomize 5.8.3 cannot be built here (the module proxy refuses
# the kube-openapi version it needs: 403), and 5.8.2 is the kustomize of the kustomize/api
# driftgate renders with (v0.21.2).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-5.8.2}"

build_kustomize() {
  local work; work="$(mktemp -d)"
  (cd / && CGO_ENABLED=0 GOFLAGS= GOBIN="$work" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kustomize/kustomize/v5@v${KUSTOMIZE_VERSION}")
  cp "$work/kustomize" "${DEST}/kustomize.tmp"
  mv "${DEST}/kustomize.tmp" "${DEST}/kustomize"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/argocd" ] || stage "Argo CD v${ARGOCD_VERSION} (application controller, repo server)" \
  "syncs Git to the dev cluster and the Argo CD tests, as in a real GitOps cluster; built with ${ARGOCD_TOOLCHAIN}, for this build only" 12 \
  "${CACHE_HOME}/logs/argocd-${ARGOCD_VERSION}.log" -- build_argocd
[ -x "$DEST/git-verify-wrapper.sh" ] || install_wrapper
[ -x "$DEST/kustomize" ] || stage "kustomize v${KUSTOMIZE_VERSION}" "the Argo CD repo server's kustomize, for kustomize sources" 3 \
  "${CACHE_HOME}/logs/kustomize-${KUSTOMIZE_VERSION}.log" -- build_kustomize
[ -x "$DEST/helm" ] || ln -sf "$("$(dirname "${BASH_SOURCE[0]}")/helm.sh")" "$DEST/helm"
echo "$DEST"
