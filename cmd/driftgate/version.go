package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set with -ldflags by `make build`.
var (
	version = "dev"
	commit  = "unknown"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print driftgate's version, commit, Go and Kubernetes library versions",
		Example: "  driftgate version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "driftgate %s\ncommit: %s\ngo: %s\n", version, commit, runtime.Version())
			if info, ok := debug.ReadBuildInfo(); ok {
				for _, dep := range info.Deps {
					switch dep.Path {
					case "k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/open-policy-agent/opa":
						fmt.Fprintf(out, "%s: %s\n", dep.Path, dep.Version)
					}
				}
			}
			return nil
		},
	}
}
