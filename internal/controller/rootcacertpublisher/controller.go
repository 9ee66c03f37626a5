package rootcacertpublisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// The published ConfigMap, as upstream names and describes it.
const (
	ConfigMapName         = "kube-root-ca.crt"
	DataKey               = "ca.crt"
	DescriptionAnnotation = "kubernetes.io/description"
	Description           = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// Options configures a Controller.
type Options struct {
	Log        *slog.Logger
	Client     kubernetes.Interface
	Namespaces coreinformers.NamespaceInformer
	ConfigMaps coreinformers.ConfigMapInformer
	// RootCA is the PEM bundle to publish.
	RootCA []byte
}

// Controller is the root CA publisher.
type Controller struct {
	log      *slog.Logger
	client   kubernetes.Interface
	nsLister corelisters.NamespaceLister
	cmLister corelisters.ConfigMapLister
	synced   []cache.InformerSynced
	rootCA   string
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Namespaces == nil || o.ConfigMaps == nil || len(o.RootCA) == 0 {
		return nil, errors.New("root CA publisher: client, informers and root CA are required")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		log: log, client: o.Client, rootCA: string(o.RootCA),
		nsLister: o.Namespaces.Lister(), cmLister: o.ConfigMaps.Lister(),
		synced: []cache.InformerSynced{o.Namespaces.Informer().HasSynced, o.ConfigMaps.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "root_ca_cert_publisher"}),
	}
	enqueueNS := func(obj any) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			c.queue.Add(ns.Name)
		}
	}
	if _, err := o.Namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueNS,
		UpdateFunc: func(_, obj any) { enqueueNS(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch namespaces: %w", err)
	}
	enqueueCM := func(obj any) {
		if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if cm, ok := obj.(*corev1.ConfigMap); ok && cm.Name == ConfigMapName {
			c.queue.Add(cm.Namespace)
		}
	}
	if _, err := o.ConfigMaps.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) { enqueueCM(obj) },
		DeleteFunc: enqueueCM,
	}); err != nil {
		return nil, fmt.Errorf("watch configmaps: %w", err)
	}
	return c, nil
}

// Run processes namespaces with workers goroutines until ctx ends. The
// informers must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

// Desired returns the ConfigMap namespace ns must hold given the current one
// (nil: none), and whether a write is needed. Only the data and the
// description annotation are enforced; other labels and annotations stay.
func Desired(ns string, cur *corev1.ConfigMap, rootCA string) (*corev1.ConfigMap, bool) {
	data := map[string]string{DataKey: rootCA}
	if cur == nil {
		return &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: ConfigMapName, Namespace: ns,
				Annotations: map[string]string{DescriptionAnnotation: Description}},
			Data: data,
		}, true
	}
	if maps.Equal(cur.Data, data) && len(cur.BinaryData) == 0 && cur.Annotations[DescriptionAnnotation] != "" {
		return cur, false
	}
	next := cur.DeepCopy()
	next.Data, next.BinaryData = data, nil
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[DescriptionAnnotation] = Description
	return next, true
}

// sync converges one namespace's ConfigMap.
func (c *Controller) sync(ctx context.Context, name string) error {
	ns, err := c.nsLister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", name, err)
	}
	if ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return nil
	}
	cur, err := c.cmLister.ConfigMaps(name).Get(ConfigMapName)
	if apierrors.IsNotFound(err) {
		cur = nil
	} else if err != nil {
		return fmt.Errorf("get configmap %s/%s: %w", name, ConfigMapName, err)
	}
	want, write := Desired(name, cur, c.rootCA)
	if !write {
		return nil
	}
	cms := c.client.CoreV1().ConfigMaps(name)
	if cur == nil {
		_, err = cms.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
	} else {
		_, err = cms.Update(ctx, want, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("publish configmap %s/%s: %w", name, ConfigMapName, err)
	}
	c.log.Debug("published root CA", "namespace", name)
	return nil
}
