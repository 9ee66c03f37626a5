package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan/capstan/internal/apiserver/apiservertest"
	"github.com/capstan/capstan/internal/scheduler/plugins/noderesources"
)

// TestTwoProfiles runs one scheduler with two profiles against a real API
// server: each pod is placed by the profile its schedulerName names
// (spreading vs packing), events report that profile's name, and a pod
// naming neither is left alone.
func TestTwoProfiles(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	createNode(ctx, t, cs, fakeNode("busy", "4", "8Gi", 110))
	createNode(ctx, t, cs, fakeNode("empty", "4", "8Gi", 110))
	running := fakePod("running", "2", "4Gi")
	running.Spec.NodeName = "busy"
	if _, err := cs.CoreV1().Pods("default").Create(ctx, running, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	packer := DefaultProfile()
	packer.SchedulerName = "packer"
	packer.NodeResourcesFit.ScoringStrategy = noderesources.MostAllocated
	s := startScheduler(t, srv, Config{Profiles: []ProfileConfig{DefaultProfile(), packer}})

	other := fakePod("other", "1", "1Gi")
	other.Spec.SchedulerName = "other-scheduler"
	pack := fakePod("pack", "1", "1Gi")
	pack.Spec.SchedulerName = "packer"
	for _, p := range []*v1.Pod{other, fakePod("spread", "1", "1Gi"), pack} {
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, node := range map[string]string{"spread": "empty", "pack": "busy"} {
		waitFor(t, 10*time.Second, "pod "+name+" bound", func() (bool, error) {
			got, err := podNode(ctx, cs, name)
			if got != "" && got != node {
				t.Fatalf("pod %s bound to %s, want %s", name, got, node)
			}
			return got == node, err
		})
	}
	waitFor(t, 10*time.Second, "Scheduled events of both profiles", func() (bool, error) {
		evs, err := cs.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		got := map[string]string{}
		for _, e := range evs.Items {
			if e.Reason == "Scheduled" {
				got[e.Regarding.Name] = e.ReportingController
			}
		}
		return got["spread"] == "default-scheduler" && got["pack"] == "packer", nil
	})
	p, err := cs.CoreV1().Pods("default").Get(ctx, "other", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.NodeName != "" || len(p.Status.Conditions) > 0 || s.QueuedWhere("default/other") != "" {
		t.Errorf("pod of another scheduler touched: node %q conditions %v queue %q", p.Spec.NodeName, p.Status.Conditions, s.QueuedWhere("default/other"))
	}
}

func TestProfilesMustHaveDistinctNames(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	unnamed := DefaultProfile()
	unnamed.SchedulerName = ""
	for _, tc := range []struct {
		name     string
		profiles []ProfileConfig
		want     string
	}{
		{"same name twice", []ProfileConfig{DefaultProfile(), DefaultProfile()}, `schedulerName "default-scheduler" used by two profiles`},
		{"unnamed is default-scheduler", []ProfileConfig{DefaultProfile(), unnamed}, `schedulerName "default-scheduler" used by two profiles`},
		{"bad profile", []ProfileConfig{DefaultProfile().WithWeight("Nope", 1)}, `PreFilterPlugin "Nope" does not exist`},
	} {
		_, err := New(Config{RestConfig: srv.Config, Profiles: tc.profiles})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestSystemDefaultSpreadUsesServices: a pod without spread constraints
// that a Service selects is spread by the system default constraints (the
// scheduler reads Services through its informers): it goes to the zone
// without the Service's pods although another node has more room.
func TestSystemDefaultSpreadUsesServices(t *testing.T) {
	srv := apiservertest.Start(t, nil)
	cs := srv.Clientset(t, true)
	ctx := context.Background()
	for name, zone := range map[string]string{"a1": "a", "a2": "a", "b1": "b"} {
		n := fakeNode(name, "8", "16Gi", 110)
		n.Labels[v1.LabelTopologyZone] = zone
		createNode(ctx, t, cs, n)
	}
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: v1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []v1.ServicePort{{Port: 80}}}}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bound := func(name, node string, labels map[string]string) {
		p := fakePod(name, "100m", "100Mi")
		p.Labels, p.Spec.NodeName = labels, node
		if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	web, other := map[string]string{"app": "web"}, map[string]string{"app": "other"}
	bound("web-0", "a1", web)
	bound("web-1", "a1", web)
	for i, name := range []string{"other-0", "other-1", "other-2"} {
		bound(name, []string{"b1", "b1", "a1"}[i], other)
	}
	startScheduler(t, srv, Config{})
	p := fakePod("web-2", "100m", "100Mi")
	p.Labels = web
	if _, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "web-2 bound", func() (bool, error) {
		got, err := podNode(ctx, cs, "web-2")
		if got != "" && got != "b1" {
			t.Fatalf("web-2 bound to %s, want b1 (the zone without web pods)", got)
		}
		return got == "b1", err
	})
}
