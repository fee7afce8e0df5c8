#!/usr/bin/env bash
# Makes sure redis-server is installed (Argo CD's application controller keeps its cache in
# Redis; the dev cluster and the Argo CD tests run one on loopback, without persistence) and
# prints its path. Redis comes from Debian's package (apt-get), installed once as root (or with
# sudo without a password). Stage lines on stderr.
set -euo pipefail
# shellcheck source=lib/stage.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/stage.sh"

install_redis() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! sudo -n true 2>/dev/null; then
      echo "redis-server is not installed and this user cannot install it: run 'sudo apt-get install -y redis-server' once" >&2
      return 1
    fi
    sudo=(sudo -n)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server ||
    { "${sudo[@]}" apt-get update && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server; }
}

if ! command -v redis-server >/dev/null; then
  stage "redis-server (Debian package)" "Argo CD's application controller keeps its cache in Redis" 1 \
    "${CACHE_HOME}/logs/redis-install.log" -- install_redis
fi
command -v redis-server
