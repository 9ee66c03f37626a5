package authz

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/capstan/capstan/internal/apiserver"
)

// benchChain holds n ClusterRoles with one ClusterRoleBinding each (to a
// user and a shared group) and n Roles with one RoleBinding each spread
// over 50 namespaces.
func benchChain(n int) *Chain {
	c := newTestChain()
	for i := range n {
		name := fmt.Sprintf("r%d", i)
		ns := fmt.Sprintf("ns%d", i%50)
		c.rbac.idx.set(testClusterRole(name, rule([]string{"get", "list"}, []string{fmt.Sprintf("g%d.io", i)}, "things", "others")))
		c.rbac.idx.set(testCRB(name, name, user(fmt.Sprintf("u%d", i)), group(fmt.Sprintf("team%d", i%20))))
		c.rbac.idx.set(testRole(ns, name, rule([]string{"get", "update"}, core(), "configmaps")))
		c.rbac.idx.set(testRB(ns, name, "Role", name, user(fmt.Sprintf("u%d", i))))
	}
	return c
}

// BenchmarkAuthorize measures one decision with 1,000 roles and bindings of
// each kind, reporting p99 besides the mean.
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		c := benchChain(n)
		cases := map[string]apiserver.Attributes{
			"allow-cluster": withUser(res("list", "g7.io", "things", "", "ns1", ""), as("u7", "team7", "system:authenticated")),
			"allow-ns":      withUser(res("update", "", "configmaps", "", "ns7", "c"), as("u7", "team7", "system:authenticated")),
			"deny":          withUser(res("delete", "", "secrets", "", "ns7", "s"), as("u7", "team7", "system:authenticated")),
		}
		for name, a := range cases {
			b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				ctx := context.Background()
				durs := make([]time.Duration, 0, b.N)
				for b.Loop() {
					start := time.Now()
					_, _, _ = c.Authorize(ctx, a)
					durs = append(durs, time.Since(start))
				}
				slices.Sort(durs)
				b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
			})
		}
	}
}

func TestAuthorizeAllowsWithinBudget(t *testing.T) {
	c := benchChain(1000)
	a := withUser(res("update", "", "configmaps", "", "ns7", "c"), as("u7", "team7", "system:authenticated"))
	if ok, _, _ := c.Authorize(context.Background(), a); !ok {
		t.Fatal("bench request not allowed")
	}
	allocs := testing.AllocsPerRun(100, func() { _, _, _ = c.Authorize(context.Background(), a) })
	if allocs > 40 {
		t.Errorf("Authorize allocates %.0f times per call, budget 40", allocs)
	}
}
