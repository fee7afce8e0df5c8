#!/usr/bin/env bash
# Builds kubectl from Go modules, at the control plane's version, for the local dev cluster.
#
# Debian's kubernetes-client is 1.20, far outside kubectl's one-minor skew with kube-apiserver
# v1.37, and no download of a release binary is reachable from this project's machines; so kubectl
# is built like hack/controlplane.sh builds kube-apiserver, through the Go module proxy, and
# cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/kubectl/<v>/kubectl
# A second run finds it and does nothing. Prints the binary's path on stdout.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # the same as hack/controlplane.sh
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/kubectl"
DEST="${CACHE_ROOT}/${KUBE_VERSION}"

log() { echo "kubectl: $*" >&2; }

build_kubectl() {
  local work; work="$(mktemp -d)"
  log "building kubectl v${KUBE_VERSION} (a few minutes cold on 2 cores)"
  (
    cd "$work"
    printf 'module driftgate.local/kubectlbuilder\n\ngo 1.26\n\nrequire k8s.io/kubernetes v%s\n' "$KUBE_VERSION" > go.mod
    # As in hack/controlplane.sh: point k8s.io/kubernetes's v0.0.0 staging requirements at the
    # published v0.<minor>.<patch> of each.
    local kmod staging
    kmod="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    staging="v0.${KUBE_VERSION#*.}"
    go mod edit -json "$kmod" \
      | tr -d ' \t\n' | grep -o '"Path":"[^"]*","Version":"v0.0.0"' \
      | sed 's/"Path":"\([^"]*\)".*/\1/' | sort -u \
      > replaces.txt
    [ -s replaces.txt ] || { log "no v0.0.0 requirements found in $kmod"; exit 1; }
    while read -r p; do go mod edit -replace "${p}=${p}@${staging}"; done < replaces.txt
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/kubectl@v${KUBE_VERSION}" >&2
    local major="${KUBE_VERSION%%.*}" minor; minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
    local ld=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X ${pkg}.gitVersion=v${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    done
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w${ld}" \
      -o "$DEST/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
  )
  mv "$DEST/kubectl.tmp" "$DEST/kubectl"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/kubectl" ] || build_kubectl
echo "$DEST/kubectl"
