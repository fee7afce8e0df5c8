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
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # the same as hack/controlplane.sh
DEST="${CACHE_HOME}/kubectl/${KUBE_VERSION}"

mkdir -p "$DEST"
[ -x "$DEST/kubectl" ] || stage "kubectl v${KUBE_VERSION}" "the demo's and the local cluster's client" 4 \
  "${CACHE_HOME}/logs/kubectl-${KUBE_VERSION}.log" -- build_kube_command "$KUBE_VERSION" kubectl "$DEST"
echo "$DEST/kubectl"
