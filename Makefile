# driftgate — `make demo` runs the main job, `make test` runs every test. `make help` lists all.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GENERATED := api/v1alpha1/zz_generated.deepcopy.go charts/driftgate/crds charts/driftgate/templates/webhookconfiguration.yaml charts/driftgate/templates/rbac.yaml

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-20s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/driftgate (the first build on a machine fetches and compiles its dependencies, in stage lines).
	@hack/build.sh bin/driftgate ./cmd/driftgate "$(LDFLAGS)"

.PHONY: demo
demo: build controlplane kubectl flux ## The main job: the whole story on a local cluster with the real Flux, narrated (KEEP=1 leaves the cluster up).
	@hack/build.sh bin/demo ./hack/demo
	@hack/build.sh bin/devcluster ./hack/devcluster   # compiles what the demo's `go run ./hack/devcluster` runs
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" KUBECTL="$$(hack/kubectl.sh)" DRIFTGATE_FLUX="$$(hack/flux.sh)" KEEP="$(KEEP)" bin/demo

.PHONY: kubectl
kubectl: ## Build kubectl v1.37.1 for the local cluster into the user cache (skipped when present).
	hack/kubectl.sh >/dev/null

.PHONY: flux
flux: ## Build Flux's source-controller and kustomize-controller v1.9.6 for the dev cluster and the Flux tests into the user cache (skipped when present).
	hack/flux.sh >/dev/null

.PHONY: argocd
argocd: ## Build Argo CD v3.6.2 (application controller, repo server) for the Argo CD tests into the user cache (skipped when present), and install redis-server.
	hack/argocd.sh >/dev/null
	hack/redis.sh >/dev/null

.PHONY: helm
helm: ## Build helm v4.3.1 for the chart tests into the user cache (skipped when present).
	hack/helm.sh >/dev/null

IMG ?= ghcr.io/driftgate/driftgate:$(VERSION)

.PHONY: docker-build
docker-build: ## Build the container image IMG (needs a Docker engine; test/image checks the Dockerfile without one).
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t $(IMG) .

.PHONY: controlplane
controlplane: ## Build kube-apiserver and etcd for envtest into the user cache (skipped when present).
	hack/controlplane.sh >/dev/null

FLUX ?= 1
ARGOCD ?= 0

.PHONY: dev-up
dev-up: build controlplane ## Start a local cluster in the background (etcd, kube-apiserver, driftgate serve, Flux's controllers unless FLUX=0, Argo CD with ARGOCD=1; state in .driftgate/dev).
	@hack/build.sh bin/devcluster ./hack/devcluster
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" bin/devcluster up $$( [ "$(FLUX)" = 0 ] || echo --flux "$$(hack/flux.sh)" ) \
	  $$( [ "$(ARGOCD)" != 1 ] || { hack/redis.sh >/dev/null && echo --argocd "$$(hack/argocd.sh)"; } )

.PHONY: dev-down
dev-down: ## Stop the local cluster dev-up started and remove .driftgate/dev.
	@hack/build.sh bin/devcluster ./hack/devcluster
	bin/devcluster down

.PHONY: tools
tools: ## Download the Go modules and build the go tools the targets run (controller-gen), with stage lines when it takes long.
	@hack/modules.sh
	@hack/long.sh controller-gen "generates deepcopy code and CRDs" 2 -- go build -o /dev/null sigs.k8s.io/controller-tools/cmd/controller-gen

.PHONY: generate
generate: ## Regenerate deepcopy code, CRDs and the chart's webhook registration and RBAC.
	go tool controller-gen object paths=./api/...
	go tool controller-gen crd:crdVersions=v1 paths=./api/... output:crd:artifacts:config=charts/driftgate/crds
	go run ./hack/genchart charts/driftgate/templates/webhookconfiguration.yaml charts/driftgate/templates/rbac.yaml

.PHONY: verify-generated
verify-generated: ## Fail when generated files are not what `make generate` makes.
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for f in $(GENERATED); do mkdir -p "$$tmp/$$(dirname $$f)"; cp -r "$$f" "$$tmp/$$f"; done; \
	$(MAKE) --no-print-directory generate >/dev/null; \
	for f in $(GENERATED); do \
	  diff -r "$$tmp/$$f" "$$f" >/dev/null || { echo "generated file $$f was stale; 'make generate' has rewritten it: review and commit it" >&2; exit 1; }; \
	done

.PHONY: lint
lint: ## gofmt and go vet.
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt wants to reformat: $$out" >&2; exit 1; fi
	@hack/long.sh "go vet" "type-checks every package and test" 6 -- go vet ./...

.PHONY: test
test: controlplane kubectl helm flux argocd tools verify-generated lint build ## Run every test: unit, Rego, fuzz seeds, envtest (real kube-apiserver), the real Flux and Argo CD, chart, image, failure behaviour, policy fixtures.
	bin/driftgate policy test
	@if [ -x ../shared/bin/check-drift ]; then ../shared/bin/check-drift ../shared/fixtures/drift --bin bin/driftgate; \
	else echo "../shared is absent: the shared drift corpus is not checked (the project's own, test/fixtures/drift, is, by test/corpus)"; fi
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" HELM="$$(hack/helm.sh)" DRIFTGATE_FLUX="$$(hack/flux.sh)" DRIFTGATE_ARGOCD="$$(hack/argocd.sh)" go test -count=1 ./...

.PHONY: fuzz
fuzz: ## Fuzz the admission decoder/handler, the shared object decoding, the changed-path diff, path parsing, the drift diff and the webhook's and audit's paths agreeing, for FUZZTIME each (default 30s).
	go test ./webhook -run '^$$' -fuzz FuzzHandler -fuzztime $${FUZZTIME:-30s}
	go test ./internal/jsonpair -run '^$$' -fuzz FuzzSharing -fuzztime $${FUZZTIME:-30s}
	go test ./internal/fieldpath -run '^$$' -fuzz FuzzDiff -fuzztime $${FUZZTIME:-30s}
	go test ./internal/fieldpath -run '^$$' -fuzz FuzzParse -fuzztime $${FUZZTIME:-30s}
	go test ./audit -run '^$$' -fuzz FuzzDiff -fuzztime $${FUZZTIME:-30s}
	go test ./audit -run '^$$' -fuzz FuzzSamePaths -fuzztime $${FUZZTIME:-30s}

.PHONY: bench
bench: ## Benchmark the decision path, a whole answer and the objects' decoding.
	go test ./webhook ./policies ./internal/jsonpair -run '^$$' -bench . -benchmem

.PHONY: bench-flux
bench-flux: build controlplane flux ## Measure Flux beside driftgate on a local cluster: admission requests per reconcile, reconcile time with and without the webhook, Git push to Backported (N=10 per arm; docs/performance.md).
	@hack/build.sh bin/devcluster ./hack/devcluster
	@hack/build.sh bin/fluxbench ./test/load/fluxbench
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" DRIFTGATE_FLUX="$$(hack/flux.sh)" bin/fluxbench --reconciles $${N:-10} $(FLUXBENCH_ARGS)

.PHONY: bench-argocd
bench-argocd: build controlplane argocd ## Measure Argo CD beside driftgate on a local cluster: admission requests per sync, sync time with and without the webhook (N=10 per arm; fluxbench --gitops argocd, FLUXBENCH_ARGS e.g. --sync-options ServerSideApply=true, --change; docs/performance.md).
	@hack/build.sh bin/devcluster ./hack/devcluster
	@hack/build.sh bin/fluxbench ./test/load/fluxbench
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" DRIFTGATE_ARGOCD="$$(hack/argocd.sh)" bin/fluxbench --gitops argocd --reconciles $${N:-10} $(FLUXBENCH_ARGS)

.PHONY: bench-peers
bench-peers: build controlplane flux ## Compare driftgate with Gatekeeper v3.23.1 (built on first use) and a no-op webhook on the same traffic (3 interleaved rounds, fixed rates, saturation), then what the API server sees: owned-Deployment writes and Flux reconciles with and without driftgate (docs/performance.md).
	@hack/build.sh bin/load ./test/load
	@hack/build.sh bin/peerbench ./test/load/peerbench
	@hack/build.sh bin/devcluster ./hack/devcluster
	@hack/build.sh bin/fluxbench ./test/load/fluxbench
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" DRIFTGATE_GATEKEEPER="$$(hack/gatekeeper.sh)" bin/peerbench $(PEERBENCH_ARGS)
	KUBEBUILDER_ASSETS="$$(hack/controlplane.sh)" DRIFTGATE_FLUX="$$(hack/flux.sh)" bin/fluxbench --dir .driftgate/peerbench/flux \
	  --reconciles $${N:-10} --backports 0 --writes $${WRITES:-5,20} --write-windows 3 $(FLUXBENCH_ARGS)

.PHONY: clean
clean: ## Remove build output (the control-plane cache stays).
	rm -rf bin
