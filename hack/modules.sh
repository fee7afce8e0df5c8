#!/usr/bin/env bash
# Downloads driftgate's Go modules once, with stage lines (hack/lib/stage.sh), so that no later
# go command prints a wall of "go: downloading" lines. Does nothing when they are all present.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! GOFLAGS=-mod=mod GOPROXY=off go mod download >/dev/null 2>&1; then
  stage "driftgate's Go modules" "everything driftgate, its tools and its tests import" 3 \
    "${CACHE_HOME}/logs/go-mod-download.log" -- go mod download
fi
