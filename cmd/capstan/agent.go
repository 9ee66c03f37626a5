package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/capstan/capstan/internal/agent"
	"github.com/capstan/capstan/internal/kubelet/eviction"
	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/server"
)

// nodeFlags are the flags of a node, shared by `server` and `agent`.
func nodeFlags(f *pflag.FlagSet, cfg *agent.Config) {
	f.StringVar(&cfg.NodeName, "node-name", "", "name of this node (default: the hostname)")
	f.StringVar(&cfg.NodeIP, "node-ip", "", "address of this node (default: the address of the default-route interface)")
	f.StringVar(&cfg.ContainerRuntimeEndpoint, "container-runtime-endpoint", "", "CRI socket of an existing runtime (default: start containerd)")
	f.IntVar(&cfg.KubeletPort, "kubelet-port", 10250, "port of the kubelet API")
	f.StringVar(&cfg.NFTablesPrefix, "nftables-prefix", "capstan", "prefix of this node's nftables tables (one per node on a machine)")
	f.StringVar(&cfg.PodNetworkMode, "pod-network-mode", "host-gw", "how pods reach other nodes: host-gw (nodes on one L2 segment) or vxlan (any IP path; UDP 8472); the same on every node")
	f.StringVar(&cfg.Eviction.Hard, "eviction-hard", eviction.DefaultHard, "hard eviction thresholds, e.g. memory.available<100Mi,nodefs.available<10% (empty: none)")
	f.StringVar(&cfg.Eviction.Soft, "eviction-soft", "", "soft eviction thresholds, e.g. memory.available<1Gi (each needs a grace period)")
	f.StringVar(&cfg.Eviction.SoftGracePeriod, "eviction-soft-grace-period", "", "grace periods of the soft thresholds, e.g. memory.available=1m30s")
	f.DurationVar(&cfg.Eviction.PressureTransitionPeriod, "eviction-pressure-transition-period", 5*time.Minute, "how long a pressure condition stays after the pressure ends")
	f.Int64Var(&cfg.Eviction.MaxPodGracePeriod, "eviction-max-pod-grace-period", 0, "grace period in seconds of pods evicted for a soft threshold")
	f.StringVar(&cfg.Eviction.MinimumReclaim, "eviction-minimum-reclaim", "", "how much beyond a met threshold to reclaim, e.g. memory.available=0Mi,nodefs.available=500Mi")
	f.IntVar(&cfg.ImageGC.HighThresholdPercent, "image-gc-high-threshold", 85, "percent of image file system usage that starts image garbage collection")
	f.IntVar(&cfg.ImageGC.LowThresholdPercent, "image-gc-low-threshold", 80, "percent of image file system usage image garbage collection brings usage down to")
	f.DurationVar(&cfg.ImageGC.MinAge, "image-minimum-gc-age", 2*time.Minute, "minimum age of an unused image before it is garbage collected")
}

func newAgentCommand() *cobra.Command {
	cfg := agent.Config{}
	var serverURL, token string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "agent --server https://HOST:6443 --token TOKEN",
		Short: "Join this machine to a cluster as a node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serverURL == "" || token == "" {
				return errors.New("--server and --token are required (a token comes from `capstan token create` on a server)")
			}
			jt, err := pki.ParseJoinToken(token)
			if err != nil {
				return err
			}
			cfg.Log = newLogger(verbose)
			mem, err := agent.EffectiveMemoryPolicy(agent.DefaultMemoryPolicy(), os.Getenv)
			if err != nil {
				return err
			}
			mem.Apply()
			cfg.Log.Info("agent memory policy", "policy", mem.String())
			if cfg.NodeName == "" {
				h, err := os.Hostname()
				if err != nil {
					return fmt.Errorf("node name: %w", err)
				}
				cfg.NodeName = strings.ToLower(h)
			}
			if cfg.NodeIP == "" {
				if cfg.NodeIP, err = agent.DetectNodeIP(cfg.DataDir); err != nil {
					return err
				}
			}
			ctx, cancel := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer cancel()
			creds, err := agent.JoinCredentials(ctx, serverURL, jt, filepath.Join(cfg.DataDir, "pki"), cfg.NodeName, []net.IP{net.ParseIP(cfg.NodeIP)}, cfg.Log)
			if err != nil {
				return err
			}
			cfg.Credentials, cfg.KubeletVersion = creds, server.Version().GitVersion
			return agent.Run(ctx, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&serverURL, "server", "", "URL of a server's API, e.g. https://10.0.0.1:6443")
	f.StringVar(&token, "token", "", "join token from `capstan token create`")
	f.StringVar(&cfg.DataDir, "data-dir", defaultAgentDataDir, "directory for containerd, pods, logs and the node's certificates")
	f.BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	f.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "10.42.0.0/16", "the cluster's pod network (as given to the server)")
	f.StringSliceVar(&cfg.ClusterDNS, "cluster-dns", []string{"10.43.0.10"}, "cluster DNS addresses written into pods' resolv.conf")
	nodeFlags(f, &cfg)
	return cmd
}
