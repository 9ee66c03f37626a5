package endpoints

import (
	"context"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestSyncActions(t *testing.T) {
	ep := func(name string, ann map[string]string) *corev1.Endpoints {
		return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: k8stypes.UID("uid-" + name), Annotations: ann, ResourceVersion: "1"}}
	}
	noSel := mkSvc(func(s *corev1.Service) { s.Name, s.Spec.Selector = "manual", nil })
	tests := []struct {
		name    string
		key     string
		objects []runtime.Object
		want    []string // verb/resource of the writes
	}{
		{name: "new service gets endpoints", key: "ns/web", objects: []runtime.Object{mkSvc(), mkPod("a", "10.0.0.1")}, want: []string{"create/endpoints"}},
		{name: "orphan endpoints deleted", key: "ns/old", objects: []runtime.Object{ep("old", nil)}, want: []string{"delete/endpoints"}},
		{name: "leader lock kept", key: "ns/lock", objects: []runtime.Object{ep("lock", map[string]string{leaderAnnotation: "{}"})}},
		{name: "selector-less service left alone", key: "ns/manual", objects: []runtime.Object{noSel, ep("manual", nil)}},
		{name: "nothing for a missing service without endpoints", key: "ns/none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(tt.objects...)
			factory := informers.NewSharedInformerFactory(client, 0)
			c, err := New(Options{Log: slog.New(slog.DiscardHandler), Client: client, Informers: factory,
				Clock: clocktesting.NewFakeClock(time.Unix(0, 0)), Recorder: record.NewFakeRecorder(10)})
			if err != nil {
				t.Fatal(err)
			}
			core := factory.Core().V1()
			for _, o := range tt.objects {
				var err error
				switch o := o.(type) {
				case *corev1.Service:
					err = core.Services().Informer().GetIndexer().Add(o)
				case *corev1.Pod:
					err = core.Pods().Informer().GetIndexer().Add(o)
				case *corev1.Endpoints:
					err = core.Endpoints().Informer().GetIndexer().Add(o)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			client.ClearActions()
			if err := c.sync(context.Background(), tt.key); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range client.Actions() {
				if v := a.GetVerb(); v != "get" && v != "list" && v != "watch" {
					got = append(got, a.GetVerb()+"/"+a.GetResource().Resource)
				}
			}
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
				t.Errorf("writes %v, want %v", got, tt.want)
			}
		})
	}
}
