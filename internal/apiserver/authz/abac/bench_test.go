package abac

import (
	"context"
	"fmt"
	"testing"

	"github.com/capstan/capstan/internal/apiserver"
)

// BenchmarkAuthorize matches a request that only the last policy allows,
// the worst case of the linear scan, over policy files of growing size.
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			specs := make([]PolicySpec, n)
			for i := range specs {
				specs[i] = PolicySpec{User: fmt.Sprintf("user-%d", i), Namespace: "*", Resource: "pods", Readonly: true}
			}
			z := New(specs)
			a := apiserver.Attributes{User: apiserver.User{Name: fmt.Sprintf("user-%d", n-1), Groups: []string{"system:authenticated"}},
				ResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "default"}
			b.ReportAllocs()
			for b.Loop() {
				if ok, _, _ := z.Authorize(context.Background(), a); !ok {
					b.Fatal("not allowed")
				}
			}
		})
	}
}
