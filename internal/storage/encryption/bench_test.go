package encryption

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkProviders measures sealing and opening one value per provider
// and size (a small Secret, a 64 KiB one).
func BenchmarkProviders(b *testing.B) {
	ctx := context.Background()
	for _, p := range []string{"identity", "aescbc", "aesgcm", "secretbox"} {
		items := identityItem
		if p != "identity" {
			items = one(p, "k", key(32, 9))
		}
		c := chainOf(b, items)
		for _, size := range []int{1 << 10, 64 << 10} {
			plain := bytes.Repeat([]byte{'x'}, size)
			sealed, err := c.TransformToStorage(ctx, plain, "/registry/secrets/ns/name")
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%dKiB/seal", p, size>>10), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := c.TransformToStorage(ctx, plain, "/registry/secrets/ns/name"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%s/%dKiB/open", p, size>>10), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, _, err := c.TransformFromStorage(ctx, sealed, "/registry/secrets/ns/name"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
