# Sourced by the builders of tools built from another project's Go module (hack/flux.sh,
# hack/argocd.sh): a throwaway builder module copies that project's replace directives.

# replaces_of GOMOD prints the replace directives of a go.mod file as go mod edit -replace
# arguments (old[@v]=new[@v]), leaving out local paths (a module of the project's own repository,
# such as Flux's ./api or Argo CD's ./gitops-engine: the caller requires the published module).
replaces_of() {
  awk '
    { sub(/\/\/.*/, "") }
    /^replace \(/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    block || /^replace / {
      sub(/^replace /, "")
      if ($2 == "=>") { old = $1; new = $3; ver = $4 } else { old = $1 "@" $2; new = $4; ver = $5 }
      if (new == "" || new ~ /^\./) next
      print old "=" new (ver != "" ? "@" ver : "")
    }' "$1"
}
