// Package image_test checks the repository's Dockerfile without a Docker engine: a small parser
// reads it, the checks hold it to the image's rules (golang build stage on go.mod's Go minor,
// module download before the sources, CGO_ENABLED=0, a distroless static nonroot final stage that
// only copies the binary, runs as 65532 with an exec-form ENTRYPOINT, no remote ADD), and the
// Dockerfile's own `go build` is run to show its binary is static and reports the build args'
// version.
package image_test
