package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "driftgate",
		Short: "Keep a GitOps cluster honest: only GitOps writes what Git owns, break-glass is recorded",
		Long: `driftgate lets only the GitOps controllers write the objects Git owns. People write them
only under an approved, expiring break-glass grant, and every such write is recorded until it is
backported to Git or reverted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newPolicyCommand(), newBreakglassCommand(), newVersionCommand(), newDiffCommand(), newAuditCommand(), newReportCommand(), newBackportCommand(), newRevertCommand())
	return root
}
