#!/usr/bin/env bash
# Builds Gatekeeper from its Go module for the peer benchmark (make bench-peers), and copies the
# module's deploy/gatekeeper.yaml, whose CustomResourceDefinitions the benchmark installs.
#
# No Gatekeeper release download is reachable from this project's machines, so it is built like
# hack/helm.sh builds helm, through the Go module proxy: github.com/open-policy-agent/gatekeeper/v3
# builds with a plain `go install MODULE@VERSION`, outside this repository's go.mod, into a
# temporary GOBIN. Cached outside the clone, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/driftgate/gatekeeper/<v>/{manager,crds/gatekeeper.yaml}
# A second run finds them and does nothing. Prints the directory on stdout; stage lines on stderr.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"

GATEKEEPER_VERSION="${GATEKEEPER_VERSION:-3.23.1}"
DEST="${CACHE_HOME}/gatekeeper/${GATEKEEPER_VERSION}"
MOD="github.com/open-policy-agent/gatekeeper/v3"

build_gatekeeper() {
  local work; work="$(mktemp -d)"
  # From / so that no go.mod (this repository's included) takes part; GOFLAGS cleared so a
  # caller's -mod=... cannot break `go install MODULE@VERSION`. The go command names the binary
  # after the module path without its major version: gatekeeper.
  (cd / && CGO_ENABLED=0 GOFLAGS= GOBIN="$work" go install -trimpath -ldflags "-s -w" "${MOD}@v${GATEKEEPER_VERSION}")
  cp "$work/gatekeeper" "$DEST/manager.tmp"   # then a rename in place: no half-written binary is ever found
  mv "$DEST/manager.tmp" "$DEST/manager"
  rm -rf "$work"
}

# copy_crds copies deploy/gatekeeper.yaml from the module (downloaded by the build) into crds/;
# the benchmark installs the CustomResourceDefinitions among its documents.
copy_crds() {
  local dir
  dir="$(cd / && GOFLAGS= go mod download -json "${MOD}@v${GATEKEEPER_VERSION}" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  mkdir -p "$DEST/crds"
  install -m 0644 "$dir/deploy/gatekeeper.yaml" "$DEST/crds/gatekeeper.yaml"
}

mkdir -p "$DEST"
[ -x "$DEST/manager" ] || stage "Gatekeeper v${GATEKEEPER_VERSION}" \
  "the peer make bench-peers compares driftgate with" 6 \
  "${CACHE_HOME}/logs/gatekeeper-${GATEKEEPER_VERSION}.log" -- build_gatekeeper
[ -f "$DEST/crds/gatekeeper.yaml" ] || copy_crds
echo "$DEST"
