#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules for envtest and the local dev cluster.
#
# The usual envtest download is unreachable from this project's machines, so the binaries are
# built from source through the Go module proxy and cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/controlplane/k8s-<v>-etcd-<v>/{kube-apiserver,etcd}
# A second run finds them and does nothing. Prints the directory on stdout; the stage lines of a
# build (hack/lib/stage.sh) go to stderr.
set -euo pipefail
# shellcheck source=lib/kubebuild.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kubebuild.sh"
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # the proxy refuses the v1.37.2 source zip
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
DEST="${CACHE_HOME}/controlplane/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

build_etcd() {
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    cat > go.mod <<MOD
module driftgate.local/etcdbuilder

go 1.26

require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v${ETCD_VERSION}
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 v${ETCD_VERSION}
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 v${ETCD_VERSION}
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 v${ETCD_VERSION}
)
MOD
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$DEST/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$DEST/etcd.tmp" "$DEST/etcd"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/etcd" ] || stage "etcd v${ETCD_VERSION}" "the local cluster's and the tests' store" 3 \
  "${CACHE_HOME}/logs/etcd-${ETCD_VERSION}.log" -- build_etcd
[ -x "$DEST/kube-apiserver" ] || stage "kube-apiserver v${KUBE_VERSION}" "the local cluster's and the tests' API server" 14 \
  "${CACHE_HOME}/logs/kube-apiserver-${KUBE_VERSION}.log" -- build_kube_command "$KUBE_VERSION" kube-apiserver "$DEST"
echo "$DEST"
