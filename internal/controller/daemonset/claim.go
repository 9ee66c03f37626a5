package daemonset

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan/capstan/internal/controller/history"
)

func splitKey(key string) (string, string, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return "", "", fmt.Errorf("split key %q: %w", key, err)
	}
	return ns, name, nil
}

// fresh returns the live check made before adopting: the DaemonSet must
// still exist with the same UID and not be being deleted.
func (c *Controller) fresh(ds *appsv1.DaemonSet) func(context.Context) error {
	return func(ctx context.Context) error {
		live, err := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get daemonset %s/%s: %w", ds.Namespace, ds.Name, err)
		}
		if live.UID != ds.UID {
			return fmt.Errorf("daemonset %s/%s was recreated (uid %s, want %s)", ds.Namespace, ds.Name, live.UID, ds.UID)
		}
		if live.DeletionTimestamp != nil {
			return fmt.Errorf("daemonset %s/%s is being deleted", ds.Namespace, ds.Name)
		}
		return nil
	}
}

// claimPods returns the pods ds controls, adopting matching orphans and
// releasing pods that stopped matching.
func (c *Controller) claimPods(ctx context.Context, ds *appsv1.DaemonSet, sel labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.podLister.Pods(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list pods: %w", err)
	}
	cl := history.Claimer[*corev1.Pod]{Owner: ds, Kind: controllerKind(), Selector: sel, Fresh: c.fresh(ds),
		Patch: func(ctx context.Context, pod *corev1.Pod, p []byte) (*corev1.Pod, error) {
			return c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, p, metav1.PatchOptions{})
		}}
	return cl.Claim(ctx, all)
}
