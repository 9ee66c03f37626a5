package nodeports

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan/capstan/internal/scheduler/framework"
)

func portPod(ports ...v1.ContainerPort) *v1.Pod {
	return &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Name: "c", Ports: ports}}}}
}

func TestFilter(t *testing.T) {
	tcp := func(ip string, port int32) v1.ContainerPort {
		return v1.ContainerPort{HostIP: ip, HostPort: port, ContainerPort: 80, Protocol: v1.ProtocolTCP}
	}
	udp := func(ip string, port int32) v1.ContainerPort {
		return v1.ContainerPort{HostIP: ip, HostPort: port, ContainerPort: 80, Protocol: v1.ProtocolUDP}
	}
	for _, tc := range []struct {
		name     string
		existing []v1.ContainerPort
		wanted   []v1.ContainerPort
		want     framework.Code
	}{
		{"no host ports", []v1.ContainerPort{tcp("", 80)}, []v1.ContainerPort{{ContainerPort: 80}}, framework.Skip},
		{"free port", []v1.ContainerPort{tcp("", 80)}, []v1.ContainerPort{tcp("", 81)}, framework.Success},
		{"same port all IPs", []v1.ContainerPort{tcp("", 80)}, []v1.ContainerPort{tcp("", 80)}, framework.Unschedulable},
		{"other protocol", []v1.ContainerPort{tcp("", 80)}, []v1.ContainerPort{udp("", 80)}, framework.Success},
		{"different IPs", []v1.ContainerPort{tcp("10.0.0.1", 80)}, []v1.ContainerPort{tcp("10.0.0.2", 80)}, framework.Success},
		{"same IP", []v1.ContainerPort{tcp("10.0.0.1", 80)}, []v1.ContainerPort{tcp("10.0.0.1", 80)}, framework.Unschedulable},
		{"wildcard wants, specific used", []v1.ContainerPort{tcp("10.0.0.1", 80)}, []v1.ContainerPort{tcp("0.0.0.0", 80)}, framework.Unschedulable},
		{"specific wants, wildcard used", []v1.ContainerPort{tcp("", 80)}, []v1.ContainerPort{tcp("10.0.0.1", 80)}, framework.Unschedulable},
		{"empty protocol means TCP", []v1.ContainerPort{{HostPort: 80, ContainerPort: 80}}, []v1.ContainerPort{tcp("", 80)}, framework.Unschedulable},
	} {
		node := framework.NewNodeInfo(&v1.Node{})
		existing := portPod(tc.existing...)
		existing.UID = types.UID("a")
		node.AddPod(framework.NewPodInfo(existing))
		pod := portPod(tc.wanted...)
		pl := &NodePorts{}
		state := framework.NewCycleState(nil)
		st := pl.PreFilter(context.Background(), state, pod, nil)
		if !st.IsSkip() {
			st = pl.Filter(context.Background(), state, pod, node)
		}
		if st.Code() != tc.want {
			t.Errorf("%s: code %v, want %v", tc.name, st.Code(), tc.want)
		}
		if tc.want == framework.Unschedulable && st.Message() != ErrReason {
			t.Errorf("%s: message %q", tc.name, st.Message())
		}
	}
}

func TestRemovePodFreesPort(t *testing.T) {
	node := framework.NewNodeInfo(&v1.Node{})
	p := portPod(v1.ContainerPort{HostPort: 8080, ContainerPort: 80})
	p.UID = "a"
	node.AddPod(framework.NewPodInfo(p))
	want := portPod(v1.ContainerPort{HostPort: 8080, ContainerPort: 80})
	if st := (&NodePorts{}).Filter(context.Background(), framework.NewCycleState(nil), want, node); st.IsSuccess() {
		t.Fatal("port in use was reported free")
	}
	if !node.RemovePod("a") {
		t.Fatal("RemovePod did not find the pod")
	}
	if st := (&NodePorts{}).Filter(context.Background(), framework.NewCycleState(nil), want, node); !st.IsSuccess() {
		t.Fatalf("freed port still in use: %v", st.Message())
	}
}
