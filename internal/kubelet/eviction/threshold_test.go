package eviction

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func TestParseThresholds(t *testing.T) {
	tests := []struct {
		name, hard, soft, grace string
		want                    []string // Threshold.String plus hardness and grace
		err                     string
	}{
		{name: "upstream default", hard: DefaultHard, want: []string{
			"hard imagefs.available<15% 0s", "hard memory.available<100Mi 0s", "hard nodefs.available<10% 0s", "hard nodefs.inodesFree<5% 0s"}},
		{name: "soft with grace", hard: "memory.available<1Gi", soft: "memory.available<2Gi, pid.available<10%", grace: "memory.available=1m30s,pid.available=10s",
			want: []string{"hard memory.available<1Gi 0s", "soft memory.available<2Gi 1m30s", "soft pid.available<10% 10s"}},
		{name: "zero disables", hard: "memory.available<0,nodefs.available<0%,imagefs.available<1%", want: []string{"hard imagefs.available<1% 0s"}},
		{name: "empty", want: nil},
		{name: "unknown signal", hard: "cpu.available<1", err: `unknown signal "cpu.available"`},
		{name: "wrong operator", hard: "memory.available>1Gi", err: "want signal<value"},
		{name: "bad quantity", hard: "memory.available<lots", err: "eviction-hard"},
		{name: "negative", hard: "memory.available<-1Gi", err: "must not be negative"},
		{name: "percentage over 100", hard: "nodefs.available<101%", err: "between 0% and 100%"},
		{name: "duplicate", hard: "memory.available<1Gi,memory.available<2Gi", err: "given twice"},
		{name: "soft without grace", soft: "memory.available<1Gi", err: "has no grace period"},
		{name: "grace without soft", grace: "memory.available=1m", err: "has no soft threshold"},
		{name: "bad grace", soft: "memory.available<1Gi", grace: "memory.available=soon", err: "invalid duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseThresholds(tc.hard, tc.soft, tc.grace)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, th := range got {
				kind := "soft"
				if th.Hard {
					kind = "hard"
				}
				s = append(s, kind+" "+th.String()+" "+th.GracePeriod.String())
			}
			if strings.Join(s, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestThresholdValue(t *testing.T) {
	capacity := resource.MustParse("1000Mi")
	tests := []struct {
		th   Threshold
		want string
	}{
		{Threshold{Quantity: ptrQ("100Mi")}, "100Mi"},
		{Threshold{Percentage: 0.1}, "100Mi"},
		{Threshold{Percentage: 0.05}, "50Mi"},
	}
	for _, tc := range tests {
		v := tc.th.Value(capacity)
		if v.String() != tc.want {
			t.Errorf("%v: value = %s, want %s", tc.th, v.String(), tc.want)
		}
	}
}

func ptrQ(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}
