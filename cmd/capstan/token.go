package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan/capstan/internal/pki"
	"github.com/capstan/capstan/internal/server"
)

func newTokenCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "token", Short: "Manage join tokens agents use to join this cluster"}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", "/var/lib/capstan", "the server's data directory (holds the admin kubeconfig)")
	// admin loads the server's admin client and CA certificate.
	admin := func() (kubernetes.Interface, *x509.Certificate, error) {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, pki.AdminKubeconfig))
		if err != nil {
			return nil, nil, fmt.Errorf("load admin kubeconfig (is this a server's --data-dir?): %w", err)
		}
		block, _ := pem.Decode(cfg.CAData)
		if block == nil {
			return nil, nil, errors.New("admin kubeconfig has no CA certificate")
		}
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("parse CA certificate: %w", err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		return cs, ca, err
	}
	var ttl time.Duration
	var description string
	create := &cobra.Command{
		Use: "create", Short: "Create a join token and print it", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, ca, err := admin()
			if err != nil {
				return err
			}
			tok, err := server.CreateToken(cmd.Context(), cs, ca, ttl, description, time.Now())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok.String())
			return err
		},
	}
	create.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token is valid (0: forever)")
	create.Flags().StringVar(&description, "description", "", "what the token is for")
	list := &cobra.Command{
		Use: "list", Short: "List join tokens (IDs only)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cs, _, err := admin()
			if err != nil {
				return err
			}
			tokens, err := server.ListTokens(cmd.Context(), cs)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(tw, "ID\tEXPIRES\tDESCRIPTION")
			for _, t := range tokens {
				exp := "<forever>"
				if !t.Expires.IsZero() {
					exp = t.Expires.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, exp, t.Description)
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use: "delete ID", Short: "Delete a join token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, _, err := admin()
			if err != nil {
				return err
			}
			return server.DeleteToken(cmd.Context(), cs, args[0])
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}
