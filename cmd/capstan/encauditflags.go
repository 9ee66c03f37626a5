package main

import (
	"github.com/spf13/pflag"

	"github.com/capstan/capstan/internal/server"
)

// encAuditFlags are kube-apiserver's encryption-at-rest and audit log flags.
func encAuditFlags(f *pflag.FlagSet, o *server.EncAuditOptions) {
	f.StringVar(&o.EncryptionProviderConfig, "encryption-provider-config", "", "EncryptionConfiguration (apiserver.config.k8s.io/v1) file: which resources are encrypted at rest with which providers (aescbc, aesgcm, secretbox, identity)")
	f.StringVar(&o.AuditPolicyFile, "audit-policy-file", "", "audit Policy (audit.k8s.io/v1) file; with --audit-log-path enables the audit log. Secret payloads are never logged, whatever the policy")
	f.StringVar(&o.AuditLogPath, "audit-log-path", "", `file audit events are written to as JSON lines; "-" is standard output`)
	f.IntVar(&o.AuditLogMaxSize, "audit-log-maxsize", 0, "megabytes the audit log grows to before it is rotated (0: 100)")
	f.IntVar(&o.AuditLogMaxBackup, "audit-log-maxbackup", 0, "rotated audit log files to keep (0: all)")
	f.IntVar(&o.AuditLogMaxAge, "audit-log-maxage", 0, "days to keep rotated audit log files (0: forever)")
}
