#!/usr/bin/env bash
# Builds one of driftgate's commands: hack/build.sh OUT PACKAGE [LDFLAGS]
#   hack/build.sh bin/driftgate ./cmd/driftgate "-X main.version=..."   (make build)
#   hack/build.sh bin/demo ./hack/demo                                   (make demo)
# The first run on a machine downloads driftgate's Go modules and compiles its dependencies
# (client-go, controller-runtime, OPA, go-git) once; it says so in stage lines
# (hack/lib/stage.sh), and the go tool's own output goes to a log under the cache.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$1" pkg="$2" ldflags="${3:-}"

hack/modules.sh
CGO_ENABLED=0 stage_if_long "$out" "from $pkg" 6 "${CACHE_HOME}/logs/build-$(basename "$out").log" -- \
  go build -trimpath -ldflags "$ldflags" -o "$out" "$pkg"
