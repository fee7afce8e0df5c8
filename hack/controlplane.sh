#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules for envtest and the local dev cluster.
#
# The usual envtest download is unreachable from this project's machines, so the binaries are
# built from source through the Go module proxy and cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/controlplane/k8s-<v>-etcd-<v>/{kube-apiserver,etcd}
# A second run finds them and does nothing. Prints the directory on stdout.
set -euo pipefail

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
  local work; work="$(mktemp -d)"
  log "building kube-apiserver v${KUBE_VERSION} (about 5 minutes cold on 2 cores)"
  (
    cd "$work"
    printf 'module driftgate.local/apiserverbuilder\n\ngo 1.26\n\nrequire k8s.io/kubernetes v%s\n' "$KUBE_VERSION" > go.mod
    # k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces; point each at
    # the published v0.<minor>.<patch> of the same path.
    local kmod staging
    kmod="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    staging="v0.${KUBE_VERSION#*.}"
    go mod edit -json "$kmod" \
      | tr -d ' \t\n' | grep -o '"Path":"[^"]*","Version":"v0.0.0"' \
      | sed 's/"Path":"\([^"]*\)".*/\1/' | sort -u \
      > replaces.txt
    [ -s replaces.txt ] || { log "no v0.0.0 requirements found in $kmod"; exit 1; }
    while read -r p; do go mod edit -replace "${p}=${p}@${staging}"; done < replaces.txt
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/kube-apiserver@v${KUBE_VERSION}" >&2
    local major="${KUBE_VERSION%%.*}" minor; minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
    local ld=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X ${pkg}.gitVersion=v${KUBE_VERSION} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    done
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w${ld}" \
      -o "$DEST/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "$DEST/kube-apiserver.tmp" "$DEST/kube-apiserver"
  rm -rf "$work"
}

mkdir -p "$DEST"
[ -x "$DEST/etcd" ] || build_etcd
[ -x "$DEST/kube-apiserver" ] || build_apiserver
echo "$DEST"
