package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver"
	"github.com/capstan/capstan/internal/storage"
)

// Config is what the authorizer chain needs.
type Config struct {
	// Source feeds the RBAC objects, pods and claims (required).
	Source Source
	// GetObject, if set, reads one object by storage key; the Node
	// authorizer uses it only for a pod its graph has not seen yet.
	GetObject func(ctx context.Context, key string) (runtime.Object, error)
	// After are further authorizers asked when Node and RBAC allow nothing
	// (ABAC, webhook), in order, as upstream's --authorization-mode list.
	After []apiserver.Authorizer
	Log   *slog.Logger
	Clock clock.Clock
}

// Chain is the server's authorizer: members of system:masters first (as
// upstream's privileged-groups authorizer, so the server's own loopback
// client works before the default bindings exist; the cluster-admin
// binding grants them the same), then Node, then RBAC, as upstream's
// --authorization-mode=Node,RBAC.
type Chain struct {
	cfg   Config
	node  *Node
	rbac  *RBAC
	graph *podGraph
}

var (
	_ apiserver.Authorizer = (*Chain)(nil)
	_ apiserver.WriteGuard = (*Chain)(nil)
)

// New builds a chain; call Start before serving requests with it.
func New(cfg Config) *Chain {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	g := newPodGraph()
	n := &Node{graph: g, rules: nodeRules()}
	if cfg.GetObject != nil {
		n.getPod = storePodGetter(cfg.GetObject)
	}
	return &Chain{cfg: cfg, node: n, rbac: &RBAC{idx: newRBACIndex()}, graph: g}
}

// NewForStore builds a chain fed from store.
func NewForStore(store *storage.Store, log *slog.Logger, clk clock.Clock) *Chain {
	return New(Config{Source: store, GetObject: store.Get, Log: log, Clock: clk})
}

// Start loads roles, bindings, pods and claims and keeps them current
// until ctx ends. It returns once the initial lists are loaded.
func (c *Chain) Start(ctx context.Context) error {
	idx := sink{set: c.rbac.idx.set, remove: c.rbac.idx.remove}
	graph := sink{set: c.graph.set, remove: c.graph.remove}
	var feeds []*feed
	for _, p := range []struct {
		prefix string
		sink   sink
	}{
		{"/rbac.authorization.k8s.io/roles/", idx},
		{"/rbac.authorization.k8s.io/clusterroles/", idx},
		{"/rbac.authorization.k8s.io/rolebindings/", idx},
		{"/rbac.authorization.k8s.io/clusterrolebindings/", idx},
		{"/pods/", graph},
		{"/persistentvolumeclaims/", graph},
	} {
		feeds = append(feeds, &feed{src: c.cfg.Source, prefix: p.prefix, sink: p.sink, log: c.cfg.Log, clock: c.cfg.Clock, held: map[string]runtime.Object{}})
	}
	return startFeeds(ctx, feeds)
}

// anonymous is the identity of a request without credentials.
func anonymous(u apiserver.User) apiserver.User {
	if u.Name == "" {
		return apiserver.User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}
	}
	return u
}

// Authorize asks the Node authorizer, then RBAC; reasons of both are
// joined as upstream's union authorizer does.
func (c *Chain) Authorize(ctx context.Context, a apiserver.Attributes) (bool, string, error) {
	a.User = anonymous(a.User)
	if slices.Contains(a.User.Groups, "system:masters") {
		return true, "", nil
	}
	var reasons []string
	for _, az := range append([]apiserver.Authorizer{nodeAuthorizer{c.node}, c.rbac}, c.cfg.After...) {
		d, reason, err := decide(ctx, az, a)
		if err != nil {
			return false, "", err
		}
		if d == DecisionAllow {
			return true, reason, nil
		}
		if d == DecisionDeny {
			return false, reason, nil
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	return false, strings.Join(reasons, ", "), nil
}

// Rules lists the node rules (for a node identity) and the RBAC rules of
// user in namespace.
func (c *Chain) Rules(ctx context.Context, user apiserver.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	user = anonymous(user)
	res, nonRes, incomplete, err := c.rbac.Rules(ctx, user, namespace)
	nodeRes, _ := reviewRules(c.node.Rules(user))
	res = append(nodeRes, res...)
	for _, az := range c.cfg.After {
		r, n, inc, aerr := az.Rules(ctx, user, namespace)
		res, nonRes, incomplete, err = append(res, r...), append(nonRes, n...), incomplete || inc, errors.Join(err, aerr)
	}
	return res, nonRes, incomplete, err
}

// nodeAuthorizer adapts Node to apiserver.Authorizer for the chain loop.
type nodeAuthorizer struct{ n *Node }

func (a nodeAuthorizer) Authorize(ctx context.Context, at apiserver.Attributes) (bool, string, error) {
	return a.n.Authorize(ctx, at)
}

func (a nodeAuthorizer) Rules(context.Context, apiserver.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return nil, nil, false, nil
}

// WaitFor blocks until the chain's index holds every binding of p (as
// ReconcileDefaults wrote them), so a server does not answer 403 for the
// default bindings right after reconciling. It gives up when ctx ends.
func (c *Chain) WaitFor(ctx context.Context, p Policy) error {
	for {
		if c.hasBindings(p) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for default RBAC bindings: %w", ctx.Err())
		case <-c.cfg.Clock.After(10 * time.Millisecond):
		}
	}
}

func (c *Chain) hasBindings(p Policy) bool {
	x := c.rbac.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, b := range p.ClusterRoleBindings {
		if x.crbs[b.Name] == nil || x.clusterRoles[b.RoleRef.Name] == nil {
			return false
		}
	}
	for _, b := range p.RoleBindings {
		if x.rbs[b.Namespace+"/"+b.Name] == nil || x.roles[b.Namespace+"/"+b.RoleRef.Name] == nil {
			return false
		}
	}
	return true
}
