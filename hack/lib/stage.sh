# Sourced by the scripts that build a tool once and cache it (hack/controlplane.sh, kubectl.sh,
# helm.sh, flux.sh, ...): one way to run a long build that a person can follow.
#
# stage WHAT WHY MINUTES LOG -- COMMAND...
#   prints one line when it starts (what, why, that it happens once, the expected time on 2
#   cores, the log's path), a line at least every 30 s while it runs, and one line when it ends
#   with the time it took. COMMAND's own output (the go tool's "go: downloading ...") goes to LOG,
#   whose last lines are shown when it fails. Lines go to stderr: the scripts print their result
#   on stdout.
CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}/driftgate"
STAGE_TICK="${STAGE_TICK:-30}"

stage() {
  local what="$1" why="$2" minutes="$3" log="$4"
  shift 5 # the four above and --
  mkdir -p "$(dirname "$log")"
  : > "$log"
  echo "==> building ${what}: ${why}; once, then cached (about ${minutes} min on 2 cores; log: ${log})" >&2
  local start=$SECONDS
  "$@" >>"$log" 2>&1 &
  local pid=$! status=0
  tick "$pid" "$what" "$log" "$start"
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "!!  building ${what} failed after $(elapsed $start) (exit status ${status}); last lines of ${log}:" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
    return "$status"
  fi
  echo "==> built ${what} in $(elapsed $start)" >&2
}

# tick prints a line every STAGE_TICK seconds while pid runs: the time so far and what the build
# last said, or "compiling" once the go tool has gone quiet (it prints nothing while compiling).
tick() {
  local pid="$1" what="$2" log="$3" start="$4" seen="" line
  while kill -0 "$pid" 2>/dev/null; do
    local waited=0
    while [ "$waited" -lt "$STAGE_TICK" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; waited=$((waited + 1)); done
    kill -0 "$pid" 2>/dev/null || break
    line="$(last_line "$log")"
    if [ "$line" = "$seen" ]; then
      echo "    ... still building ${what} ($(elapsed "$start"); compiling)" >&2
    else
      echo "    ... still building ${what} ($(elapsed "$start"); ${line})" >&2
    fi
    seen="$line"
  done
}

elapsed() {
  local s=$((SECONDS - $1))
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# last_line is the log's last line, shortened: what the build is at.
last_line() {
  local l; l="$(tail -n 1 "$1" 2>/dev/null | tr -d '\r')"
  [ -n "$l" ] || l="compiling"
  [ "${#l}" -le 80 ] || l="${l:0:77}..."
  printf '%s' "$l"
}

# stage_if_long WHAT WHY MINUTES LOG -- COMMAND...
#   is stage for a build that is long only the first time (the go build cache is cold): it says
#   nothing unless COMMAND still runs after 10 s, then prints the lines stage prints.
stage_if_long() {
  local what="$1" why="$2" minutes="$3" log="$4"
  shift 5
  mkdir -p "$(dirname "$log")"
  : > "$log"
  local start=$SECONDS
  "$@" >>"$log" 2>&1 &
  local pid=$! status=0 waited=0
  while [ "$waited" -lt 10 ] && kill -0 "$pid" 2>/dev/null; do sleep 1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "==> building ${what}: ${why}; the first build compiles its dependencies once, later builds take seconds (about ${minutes} min on 2 cores; log: ${log})" >&2
    tick "$pid" "$what" "$log" "$start"
    wait "$pid" || status=$?
    [ "$status" -ne 0 ] || echo "==> built ${what} in $(elapsed $start)" >&2
  else
    wait "$pid" || status=$?
  fi
  if [ "$status" -ne 0 ]; then
    echo "!!  building ${what} failed after $(elapsed $start) (exit status ${status}); last lines of ${log}:" >&2
    tail -n 20 "$log" | sed 's/^/    /' >&2
    return "$status"
  fi
}
