package server

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/capstan/capstan/internal/apis"
)

func TestLoadEncAudit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	goodEnc := write("enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n")
	badEnc := write("bad-enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: []\n")
	goodPolicy := write("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")
	badPolicy := write("bad-policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n")
	for _, tc := range []struct {
		name     string
		o        EncAuditOptions
		wantErr  string
		encrypts bool
		audits   bool
	}{
		{"nothing", EncAuditOptions{}, "", false, false},
		{"encryption", EncAuditOptions{EncryptionProviderConfig: goodEnc}, "", true, false},
		{"bad encryption names flag and file", EncAuditOptions{EncryptionProviderConfig: badEnc}, "--encryption-provider-config: encryption provider config " + badEnc + ": line 5", false, false},
		{"missing encryption file", EncAuditOptions{EncryptionProviderConfig: badEnc + ".none"}, "no such file", false, false},
		{"audit", EncAuditOptions{AuditPolicyFile: goodPolicy, AuditLogPath: "-"}, "", false, true},
		{"policy without log path audits nothing", EncAuditOptions{AuditPolicyFile: goodPolicy}, "", false, false},
		{"bad policy names file", EncAuditOptions{AuditPolicyFile: badPolicy, AuditLogPath: "-"}, "--audit-policy-file: audit policy " + badPolicy, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ea, err := loadEncAudit(tc.o, slog.New(slog.DiscardHandler))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			scheme, err := apis.NewScheme()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ea.storeOptions(scheme)) == 1; got != tc.encrypts {
				t.Errorf("encrypts = %v, want %v", got, tc.encrypts)
			}
			l, closeLog, err := ea.openAudit(prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			closeLog()
			if got := l != nil; got != tc.audits {
				t.Errorf("audits = %v, want %v", got, tc.audits)
			}
		})
	}
}
