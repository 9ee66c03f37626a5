package server

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/storage"
	"github.com/capstan/capstan/internal/storage/encryption"
)

// EncAuditOptions are kube-apiserver's encryption-at-rest and audit log
// flags.
type EncAuditOptions struct {
	// EncryptionProviderConfig is an EncryptionConfiguration file; empty
	// stores everything unencrypted.
	EncryptionProviderConfig string
	// AuditPolicyFile is an audit.k8s.io/v1 Policy; without it nothing is
	// audited. AuditLogPath is where events go ("-" is stdout); without
	// it nothing is written either.
	AuditPolicyFile, AuditLogPath string
	// AuditLogMaxSize (MB), AuditLogMaxBackup and AuditLogMaxAge (days)
	// rotate the log file.
	AuditLogMaxSize, AuditLogMaxBackup, AuditLogMaxAge int
}

// encAudit is what EncAuditOptions add to the server, read and validated
// before anything starts.
type encAudit struct {
	opts       EncAuditOptions
	encryption *encryption.Config // nil: no encryption
	policy     *audit.Policy      // nil: no audit
}

// loadEncAudit reads the encryption config and audit policy; a missing or
// malformed file is an error naming it (and the line, where known).
func loadEncAudit(o EncAuditOptions, log *slog.Logger) (*encAudit, error) {
	ea := &encAudit{opts: o}
	if o.EncryptionProviderConfig != "" {
		c, err := encryption.Load(o.EncryptionProviderConfig)
		if err != nil {
			return nil, fmt.Errorf("--encryption-provider-config: %w", err)
		}
		ea.encryption = c
	}
	switch {
	case o.AuditPolicyFile != "" && o.AuditLogPath != "":
		p, err := audit.LoadPolicy(o.AuditPolicyFile)
		if err != nil {
			return nil, fmt.Errorf("--audit-policy-file: %w", err)
		}
		ea.policy = p
	case o.AuditPolicyFile != "" || o.AuditLogPath != "":
		log.Warn("audit logging needs both --audit-policy-file and --audit-log-path; not auditing",
			"policy", o.AuditPolicyFile, "path", o.AuditLogPath)
	}
	return ea, nil
}

// storeOptions returns the storage options encryption needs: a transformer
// that finds each key's resource with the scheme's API groups.
func (ea *encAudit) storeOptions(scheme *runtime.Scheme) []storage.Option {
	if ea.encryption == nil {
		return nil
	}
	groups := map[string]bool{}
	for _, gv := range scheme.PrioritizedVersionsAllGroups() {
		if gv.Group != "" {
			groups[gv.Group] = true
		}
	}
	return []storage.Option{storage.WithTransformer(ea.encryption.KeyTransformer("/registry", func(s string) bool { return groups[s] }))}
}

// openAudit opens the audit log and returns the logger for the API server
// (nil when not auditing) and a function that flushes and closes the log.
func (ea *encAudit) openAudit(reg prometheus.Registerer, log *slog.Logger) (*audit.Logger, func(), error) {
	if ea.policy == nil {
		return nil, func() {}, nil
	}
	sink, err := audit.NewFileSink(audit.FileOptions{
		Path: ea.opts.AuditLogPath, MaxSizeMB: ea.opts.AuditLogMaxSize,
		MaxBackups: ea.opts.AuditLogMaxBackup, MaxAgeDays: ea.opts.AuditLogMaxAge,
		Registerer: reg, Log: log,
	}, os.Stdout)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log-path: %w", err)
	}
	closeSink := func() {
		if err := sink.Close(); err != nil {
			log.Warn("close audit log", "err", err)
		}
	}
	return audit.NewLogger(ea.policy, sink, clock.RealClock{}), closeSink, nil
}
