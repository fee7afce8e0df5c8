# Sourced by hack/controlplane.sh and hack/kubectl.sh: builds one command of k8s.io/kubernetes
# (kube-apiserver, kubectl) from the Go module proxy.
#
# k8s.io/kubernetes requires its staging modules (k8s.io/api, apiserver, client-go, ...) at v0.0.0
# with local replaces, so `go install` fails; a throwaway builder module requires
# k8s.io/kubernetes and replaces each of those with the published v0.<minor>.<patch> of the same
# path. The version variables are set as the release build sets them, else the binary reports
# v0.0.0-master.
#
# build_kube_command VERSION CMD DEST: builds k8s.io/kubernetes/cmd/CMD at VERSION into DEST/CMD.
build_kube_command() {
  local version="$1" cmd="$2" dest="$3"
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    printf 'module driftgate.local/%sbuilder\n\ngo 1.26\n\nrequire k8s.io/kubernetes v%s\n' "$cmd" "$version" > go.mod
    local kmod staging
    kmod="$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v${version}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
    staging="v0.${version#*.}"
    go mod edit -json "$kmod" \
      | tr -d ' \t\n' | grep -o '"Path":"[^"]*","Version":"v0.0.0"' \
      | sed 's/"Path":"\([^"]*\)".*/\1/' | sort -u \
      > replaces.txt
    [ -s replaces.txt ] || { echo "${cmd}: no v0.0.0 requirements found in $kmod" >&2; exit 1; }
    while read -r p; do go mod edit -replace "${p}=${p}@${staging}"; done < replaces.txt
    GOFLAGS=-mod=mod go get "k8s.io/kubernetes/cmd/${cmd}@v${version}"
    local major="${version%%.*}" minor; minor="${version#*.}"; minor="${minor%%.*}"
    local ld=""
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X ${pkg}.gitVersion=v${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    done
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w${ld}" \
      -o "${dest}/${cmd}.tmp" "k8s.io/kubernetes/cmd/${cmd}"
  )
  mv "${dest}/${cmd}.tmp" "${dest}/${cmd}"
  rm -rf "$work"
}
