#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules for envtest and the local dev cluster.
#
# The usual envtest download is unreachable from this project's machines, so the binaries are
# built from source through the Go module proxy and cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/controlplane/k8s-<v>-etcd-<v>/{kube-apiserver,etcd}
# A second run finds them and does nothing. Prints the directory on stdout.
set -euo pipefail
# shellcheck source=lib/kubebuild.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/kubebuild.sh"

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # the proxy refuses the v1.37.2 source zip
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/controlplane"
DEST="${CACHE_ROOT}/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

log() { echo "controlplane: $*" >&2; }

build_etcd() {
  local work; work="$(mktemp -d)"
  log "building etcd v${ETCD_VERSION} (about a minute)"
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
    GOFLAGS=-mod=mod go get "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$DEST/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$DEST/etcd.tmp" "$DEST/etcd"
  rm -rf "$work"
}

build_apiserver() {
  log "building kube-apiserver v${KUBE_VERSION} (about 5 minutes cold on 2 cores)"
  build_kube_command "$KUBE_VERSION" kube-apiserver "$DEST"
}

mkdir -p "$DEST"
[ -x "$DEST/etcd" ] || build_etcd
[ -x "$DEST/kube-apiserver" ] || build_apiserver
echo "$DEST"
