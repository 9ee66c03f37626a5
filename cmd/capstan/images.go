package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/capstan/capstan/internal/agent/containerd"
	"github.com/capstan/capstan/internal/kubelet/images"
)

// defaultAgentDataDir is where a node keeps its state: `capstan agent`'s
// --data-dir, and <server data dir>/agent for the server's own node.
const defaultAgentDataDir = "/var/lib/capstan/agent"

func newImagesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "images", Short: "Manage the images of this node's container runtime"}
	var dataDir, endpoint string
	imp := &cobra.Command{
		Use:   "import FILE.tar...",
		Short: "Import images from docker-archive or OCI-layout tars (air-gapped nodes)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if endpoint == "" {
				endpoint = "unix://" + containerd.NewLayout(dataDir).Socket
			}
			for _, path := range args {
				a, err := images.Import(cmd.Context(), endpoint, path)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported %s (%s): %s\n", path, a.Format, strings.Join(a.Refs, ", "))
			}
			return nil
		},
	}
	imp.Flags().StringVar(&dataDir, "data-dir", defaultAgentDataDir, "the agent's data directory (its containerd socket is found there)")
	imp.Flags().StringVar(&endpoint, "container-runtime-endpoint", "", "CRI socket of an existing containerd (overrides --data-dir)")
	cmd.AddCommand(imp)
	return cmd
}
