package server

import (
	"strings"
	"testing"
)

func TestServiceLBOptionsPool(t *testing.T) {
	for _, tc := range []struct {
		opts    ServiceLBOptions
		ranges  int
		wantErr string
	}{
		{opts: ServiceLBOptions{}, ranges: 0},
		{opts: ServiceLBOptions{Disable: true}, ranges: 0},
		{opts: ServiceLBOptions{Pool: "192.168.50.10-192.168.50.20,10.0.0.0/28"}, ranges: 2},
		{opts: ServiceLBOptions{Pool: "192.168.50.20-192.168.50.10"}, wantErr: "--service-lb-pool: load-balancer pool: range"},
		{opts: ServiceLBOptions{Pool: "10.0.0.0/28", Disable: true}, wantErr: "--disable-service-lb"},
	} {
		ranges, err := tc.opts.pool()
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: err %v, want one containing %q", tc.opts, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || len(ranges) != tc.ranges):
			t.Errorf("%+v: %d ranges, err %v; want %d ranges", tc.opts, len(ranges), err, tc.ranges)
		}
	}
}
