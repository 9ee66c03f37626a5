package clusterroleaggregation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/client-go/kubernetes"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/capstan/capstan/internal/controller/worker"
)

// Options configures a Controller.
type Options struct {
	Log          *slog.Logger
	Client       kubernetes.Interface
	ClusterRoles rbacinformers.ClusterRoleInformer
}

// Controller is the cluster-role aggregation controller.
type Controller struct {
	log    *slog.Logger
	client kubernetes.Interface
	lister rbaclisters.ClusterRoleLister
	synced []cache.InformerSynced
	queue  workqueue.TypedRateLimitingInterface[string]
}

// New builds the controller and registers its informer handlers.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.ClusterRoles == nil {
		return nil, errors.New("clusterroleaggregation controller: client and informer are required")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		log:    log,
		client: o.Client,
		lister: o.ClusterRoles.Lister(),
		synced: []cache.InformerSynced{o.ClusterRoles.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](5*time.Millisecond, 30*time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "clusterrole-aggregation"}),
	}
	// Any change may alter any aggregation: requeue every aggregated role.
	enqueueAll := func(any) {
		roles, err := c.lister.List(labels.Everything())
		if err != nil {
			return
		}
		for _, r := range roles {
			if r.AggregationRule != nil {
				c.queue.Add(r.Name)
			}
		}
	}
	if _, err := o.ClusterRoles.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueAll, UpdateFunc: func(_, obj any) { enqueueAll(obj) }, DeleteFunc: enqueueAll,
	}); err != nil {
		return nil, fmt.Errorf("watch clusterroles: %w", err)
	}
	return c, nil
}

// Run processes aggregated roles with workers goroutines until ctx ends.
// The informer must be started by the caller.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return worker.Run(ctx, c.queue, workers, c.synced, c.log, c.sync)
}

// sync sets one aggregated role's rules to the union of its sources'.
func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.lister.Get(name)
	if kerrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get clusterrole %s: %w", name, err)
	}
	if role.AggregationRule == nil {
		return nil
	}
	all, err := c.lister.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("list clusterroles: %w", err)
	}
	rules, err := Aggregate(role, all)
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	next := role.DeepCopy()
	next.Rules = rules
	if _, err := c.client.RbacV1().ClusterRoles().Update(ctx, next, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update aggregated clusterrole %s: %w", name, err)
	}
	return nil
}

// Aggregate returns the rules role should hold: the distinct rules of the
// roles in all (other than role) matched by any of its selectors, taken in
// the order of the roles' names.
func Aggregate(role *rbacv1.ClusterRole, all []*rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	sources := slices.Clone(all)
	slices.SortFunc(sources, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
	var rules []rbacv1.PolicyRule
	for _, s := range role.AggregationRule.ClusterRoleSelectors {
		sel, err := metav1.LabelSelectorAsSelector(&s)
		if err != nil {
			return nil, fmt.Errorf("clusterrole %s: selector: %w", role.Name, err)
		}
		for _, src := range sources {
			if src.Name == role.Name || !sel.Matches(labels.Set(src.Labels)) {
				continue
			}
			for _, r := range src.Rules {
				if !slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return equality.Semantic.DeepEqual(x, r) }) {
					rules = append(rules, r)
				}
			}
		}
	}
	return rules, nil
}
