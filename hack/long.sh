#!/usr/bin/env bash
# Runs a command that is long only when the Go build cache is cold (go vet, a go tool's first
# build), with the stage lines of hack/lib/stage.sh when it takes more than 10 s; its output goes
# to a log under the cache, shown when it fails.
#   hack/long.sh WHAT WHY MINUTES -- COMMAND...
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"
what="$1" why="$2" minutes="$3"
shift 4
stage_if_long "$what" "$why" "$minutes" "${CACHE_HOME}/logs/$(printf '%s' "$what" | tr -c 'A-Za-z0-9._' '-').log" -- "$@"
