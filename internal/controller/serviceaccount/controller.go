package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// DefaultName is the ServiceAccount every namespace gets, as upstream.
const DefaultName = "default"

// Options configures a Controller.
type Options struct {
	Log             *slog.Logger
	Client          kubernetes.Interface
	Namespaces      coreinformers.NamespaceInformer
	ServiceAccounts coreinformers.ServiceAccountInformer
	// Names are the accounts every active namespace must hold; nil means
	// just DefaultName.
	Names []string
}

// Controller is the service-account controller.
type Controller struct {
	log      *slog.Logger
	client   kubernetes.Interface
	nsLister corelisters.NamespaceLister
	saLister corelisters.ServiceAccountLister
	synced   []cache.InformerSynced
	names    []string
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Namespaces == nil || o.ServiceAccounts == nil {
		return nil, errors.New("serviceaccount controller: client and informers are required")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	names := o.Names
	if names == nil {
		names = []string{DefaultName}
	}
	c := &Controller{
		log:      log,
		client:   o.Client,
		nsLister: o.Namespaces.Lister(),
		saLister: o.ServiceAccounts.Lister(),
		synced:   []cache.InformerSynced{o.Namespaces.Informer().HasSynced, o.ServiceAccounts.Informer().HasSynced},
		names:    names,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "serviceaccount"}),
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
	if _, err := o.ServiceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			if sa, ok := obj.(*corev1.ServiceAccount); ok {
				c.queue.Add(sa.Namespace)
			}
		},
	}); err != nil {
		return nil, fmt.Errorf("watch serviceaccounts: %w", err)
	}
	return c, nil
}

// Run processes namespaces with workers goroutines until ctx ends. The
// informers must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

// sync creates the missing accounts of one namespace if it is active.
func (c *Controller) sync(ctx context.Context, name string) error {
	ns, err := c.nsLister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", name, err)
	}
	if !Active(ns) {
		return nil
	}
	var errs []error
	for _, sa := range c.names {
		if _, err := c.saLister.ServiceAccounts(name).Get(sa); err == nil {
			continue
		} else if !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("get serviceaccount %s/%s: %w", name, sa, err))
			continue
		}
		obj := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: name}}
		_, err := c.client.CoreV1().ServiceAccounts(name).Create(ctx, obj, metav1.CreateOptions{})
		switch {
		case err == nil:
			c.log.Info("created service account", "namespace", name, "name", sa)
		case apierrors.IsAlreadyExists(err),
			apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		default:
			errs = append(errs, fmt.Errorf("create serviceaccount %s/%s: %w", name, sa, err))
		}
	}
	return errors.Join(errs...)
}

// Active reports whether accounts should exist in ns: it is not being
// deleted and its phase is Active (an empty phase counts as Active, as a
// namespace read before defaulting would have it).
func Active(ns *corev1.Namespace) bool {
	if ns.DeletionTimestamp != nil {
		return false
	}
	return ns.Status.Phase == "" || ns.Status.Phase == corev1.NamespaceActive
}
