package nodelifecycle

import (
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	corev1 "k8s.io/api/core/v1"
)

// Event reasons and message formats, as upstream.
const (
	reasonNodeNotReady         = "NodeNotReady"
	reasonTaintManagerEviction = "TaintManagerEviction"
	msgMarkingForDeletion      = "Marking for deletion Pod %s"
	msgCancellingDeletion      = "Cancelling deletion of Pod %s"
)

// recorders returns the recorders for node events and taint evictions:
// o's recorder for both when set, or recorders of a new broadcaster writing
// core/v1 Events through client; stop ends that broadcaster.
func recorders(client kubernetes.Interface, given record.EventRecorder) (node, taint record.EventRecorder, stop func()) {
	if given != nil {
		return given, given, func() {}
	}
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	node = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "node-controller"})
	taint = b.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "taint-eviction-controller"})
	return node, taint, b.Shutdown
}
