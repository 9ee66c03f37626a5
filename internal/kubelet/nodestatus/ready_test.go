package nodestatus

import (
	"context"
	"errors"
	"strings"
	"testing"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type statusRuntime struct {
	internalapi.RuntimeService
	status *runtimeapi.RuntimeStatus
	err    error
}

func (s statusRuntime) Status(context.Context, bool) (*runtimeapi.StatusResponse, error) {
	return &runtimeapi.StatusResponse{Status: s.status}, s.err
}

func TestRuntimeReady(t *testing.T) {
	cond := func(typ string, ok bool, reason, msg string) *runtimeapi.RuntimeCondition {
		return &runtimeapi.RuntimeCondition{Type: typ, Status: ok, Reason: reason, Message: msg}
	}
	tests := []struct {
		name    string
		rt      statusRuntime
		wantErr string
	}{
		{"ready", statusRuntime{status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
			cond(runtimeapi.RuntimeReady, true, "", ""), cond(runtimeapi.NetworkReady, true, "", "")}}}, ""},
		{"no network", statusRuntime{status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
			cond(runtimeapi.RuntimeReady, true, "", ""),
			cond(runtimeapi.NetworkReady, false, "NetworkPluginNotReady", "cni plugin not initialized")}}},
			"container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized"},
		{"runtime down", statusRuntime{status: &runtimeapi.RuntimeStatus{}}, "container runtime is down"},
		{"status fails", statusRuntime{err: errors.New("connection refused")}, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := RuntimeReady(context.Background(), tc.rt)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
