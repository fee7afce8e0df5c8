// Command demo is `make demo`: driftgate's whole story on a local cluster, from nothing, told
// step by step with the real commands and their real output.
//
// It starts a cluster of its own with hack/devcluster (state in .driftgate/demo/cluster, apart
// from `make dev-up`'s), with Flux's real source-controller and kustomize-controller and a Git
// server in it; pushes examples/checkout to a new repository there, which a Flux GitRepository
// and Kustomization apply, and points a GitSource at the same repository. Then it shows a
// person's hand edit denied, a break-glass grant requested, refused to its requester and
// approved by an approver, the emergency edits allowed and recorded, the audit asking for their
// backport, driftgate's self-heal protection keeping them live through Flux's reconciles, one
// backported to Git (and applied by Flux) and one reverted live, the protection lifted, and the
// incident report ready to close. Then it stops the cluster, unless KEEP=1.
//
//	KUBEBUILDER_ASSETS="$(hack/controlplane.sh)" KUBECTL="$(hack/kubectl.sh)" DRIFTGATE_FLUX="$(hack/flux.sh)" go run ./hack/demo [--keep] [--dir DIR]
//
// (`make demo` builds it as bin/demo first.)
//
// Run it from the repository root, after `make build`; `make demo` does all of that.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo failed: "+err.Error())
		os.Exit(1)
	}
}

// run parses args and tells the story on out.
func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	if o == nil { // --help
		return nil
	}
	return newDemo(o, newNarrator(out, isTerminal(out))).run(ctx)
}
