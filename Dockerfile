# syntax=docker/dockerfile:1
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
    -o /out/driftgate ./cmd/driftgate

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/driftgate /driftgate
USER 65532:65532
ENTRYPOINT ["/driftgate"]
