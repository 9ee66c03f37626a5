package worker

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
)

// Recorder returns rec when a controller was given one; otherwise a
// recorder of its own reporting as component, with the broadcaster behind
// it for Record to run.
func Recorder(rec record.EventRecorder, component string) (record.EventRecorder, record.EventBroadcaster) {
	if rec != nil {
		return rec, nil
	}
	b := record.NewBroadcaster()
	return b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: component}), b
}

// Record writes a controller's own events (b from Recorder; nil: none) as
// core/v1 Events through client until the returned stop is called.
func Record(client kubernetes.Interface, b record.EventBroadcaster) (stop func()) {
	if b == nil {
		return func() {}
	}
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return b.Shutdown
}
