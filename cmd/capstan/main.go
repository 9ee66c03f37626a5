// Command capstan is the single Capstan binary: `capstan server` runs a
// control plane and this machine's node, `capstan agent` joins a machine to
// a cluster, `capstan token` manages join tokens, `capstan images import`
// loads images. main only parses flags and wires constructors.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	"github.com/capstan/capstan/internal/server"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "capstan",
		Short:         "Capstan: a Kubernetes-compatible container orchestrator in one binary",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newServerCommand(), newAgentCommand(), newTokenCommand(), newImagesCommand(), newVersionCommand())
	return root
}

// newLogger returns the process logger; client-go's klog output is routed
// into it so every line has one format.
func newLogger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	klog.SetSlogLogger(log)
	return log
}

func newServerCommand() *cobra.Command {
	cfg := server.Config{}
	var verbose bool
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a control plane (etcd, API server, controllers) and, unless --disable-agent, this machine's node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Log = newLogger(verbose)
			ctx, cancel := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer cancel()
			r, err := server.Start(ctx, cfg)
			if err != nil {
				return err
			}
			return r.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "/var/lib/capstan", "directory for etcd data, certificates and the admin kubeconfig")
	f.StringVar(&cfg.BindAddress, "bind-address", "0.0.0.0", "address the API server listens on")
	f.IntVar(&cfg.HTTPSPort, "https-port", 6443, "port the API server listens on")
	f.StringSliceVar(&cfg.EtcdServers, "etcd-servers", nil, "external etcd endpoints (comma separated); empty runs embedded etcd")
	f.StringVar(&cfg.ServiceCIDR, "service-cidr", "10.43.0.0/16", "range ClusterIPs are allocated from")
	f.StringVar(&cfg.ClusterCIDR, "cluster-cidr", "10.42.0.0/16", "pod network; every node gets a /24 of it")
	f.StringVar(&cfg.ServiceCIDR, "service-cluster-ip-range", "10.43.0.0/16", "upstream's name of --service-cidr; both take one CIDR or an IPv4,IPv6 pair (first is primary), as does --cluster-cidr")
	f.BoolVar(&cfg.DisableAgent, "disable-agent", false, "do not run the node agent on this machine")
	f.Int64Var(&cfg.DefaultNotReadyTolerationSeconds, "default-not-ready-toleration-seconds", 300, "tolerationSeconds of the not-ready:NoExecute toleration added to pods without one")
	f.Int64Var(&cfg.DefaultUnreachableTolerationSeconds, "default-unreachable-toleration-seconds", 300, "tolerationSeconds of the unreachable:NoExecute toleration added to pods without one")
	f.StringVar(&cfg.SchedulerConfig, "scheduler-config", "", "KubeSchedulerConfiguration file for the scheduler's profiles (schedulerName, plugins, weights, plugin arguments)")
	f.IntVar(&cfg.DNSPort, "cluster-dns-port", 10053, "port the cluster DNS listens on (the kube-dns Service forwards port 53 to it)")
	f.StringVar(&cfg.ServiceAccountIssuer, "service-account-issuer", "https://kubernetes.default.svc.cluster.local", "issuer (iss) of ServiceAccount tokens, also the API audience they are issued for")
	nodeFlags(f, &cfg.Agent)
	authFlags(f, &cfg.Auth)
	encAuditFlags(f, &cfg.EncAudit)
	serviceLBFlags(f, &cfg.ServiceLB)
	f.BoolVarP(&verbose, "verbose", "v", false, "log debug messages")
	return cmd
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := server.Version()
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "capstan %s (Kubernetes API %s.%s, %s)\n", v.GitVersion, v.Major, v.Minor, v.GoVersion)
			return err
		},
	}
}
