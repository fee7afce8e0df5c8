# syntax=docker/dockerfile:1

# driftgate's image: `docker build --build-arg VERSION=… --build-arg COMMIT=… .` (both optional);
# they are stamped into the binary (`driftgate version`) and the image's labels.
ARG VERSION=dev
ARG COMMIT=unknown

# The build stage runs on the builder's platform and cross-compiles for the target's.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
# Modules first: this step reruns only when go.mod or go.sum change; the cache mounts keep the
# module and build caches between builds.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION
ARG COMMIT
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
    -o /out/driftgate ./cmd/driftgate

# Static, nonroot, no shell.
FROM gcr.io/distroless/static:nonroot
ARG VERSION
ARG COMMIT
LABEL org.opencontainers.image.title="driftgate" \
      org.opencontainers.image.description="Kubernetes admission webhook and controllers that keep a GitOps cluster honest" \
      org.opencontainers.image.source="https://github.com/driftgate/driftgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/driftgate /driftgate
# No git binary here: the audit's file:// Git URLs fail in this image; https:// and ssh ones work (go-git).
USER 65532:65532
ENTRYPOINT ["/driftgate"]
CMD ["serve"]
