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
# shellcheck source=lib/kubebuild.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kubebuild.sh"

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # the same as hack/controlplane.sh
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/kubectl"
DEST="${CACHE_ROOT}/${KUBE_VERSION}"

log() { echo "kubectl: $*" >&2; }

build_kubectl() {
  log "building kubectl v${KUBE_VERSION} (a few minutes cold on 2 cores)"
  build_kube_command "$KUBE_VERSION" kubectl "$DEST"
}

mkdir -p "$DEST"
[ -x "$DEST/kubectl" ] || build_kubectl
echo "$DEST/kubectl"
