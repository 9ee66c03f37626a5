package apiserver_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/apiserver/audit"
	"github.com/capstan/capstan/internal/etcd"
)

// BenchmarkSecretEncryption is a Secret create plus get through the API
// (JSON client, real etcd) per provider.
func BenchmarkSecretEncryption(b *testing.B) {
	for _, provider := range []string{"identity", "aescbc", "aesgcm", "secretbox"} {
		b.Run(provider, func(b *testing.B) {
			ctx := context.Background()
			e, err := etcd.StartEmbedded(ctx, b.TempDir(), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(e.Close)
			client, err := e.Client(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { client.Close() })
			doc := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n"
			if provider == "identity" {
				doc += "  - identity: {}\n"
			} else {
				// 32 bytes: "0123456789abcdef0123456789abcdef".
				doc += "  - " + provider + ":\n      keys:\n      - name: k\n        secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"
			}
			cs := encServer(b, client, doc)
			data := map[string][]byte{"tls.key": []byte(strings.Repeat("k", 1600)), "tls.crt": []byte(strings.Repeat("c", 1200))}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				name := fmt.Sprint("s", i)
				i++
				if _, err := cs.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}, metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				if _, err := cs.CoreV1().Secrets("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuditOverhead is a ConfigMap get through the API with auditing
// off and at each level, written to a file.
func BenchmarkAuditOverhead(b *testing.B) {
	for _, level := range []string{"off", "None", "Metadata", "Request", "RequestResponse"} {
		b.Run(level, func(b *testing.B) {
			ctx := context.Background()
			var closeSink func() error
			srv := apiservertest.Start(b, func(c *apiserver.Config) {
				if level == "off" {
					return
				}
				p, err := audit.ParsePolicy([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: " + level + "\n"))
				if err != nil {
					b.Fatal(err)
				}
				sink, err := audit.NewFileSink(audit.FileOptions{Path: filepath.Join(b.TempDir(), "audit.log")}, nil)
				if err != nil {
					b.Fatal(err)
				}
				closeSink = sink.Close
				c.Audit = audit.NewLogger(p, sink, nil)
			})
			if closeSink != nil {
				b.Cleanup(func() { _ = closeSink() })
			}
			cs := srv.Clientset(b, false)
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": strings.Repeat("v", 2000)}}
			if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "c", metav1.GetOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
