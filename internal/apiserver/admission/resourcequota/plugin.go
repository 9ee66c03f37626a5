package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota/quota"
)

// Name is the upstream plugin name.
const Name = "ResourceQuota"

// maxAttempts bounds how often a batch re-reads the quotas after a
// conflicting status write (upstream: one try and three retries).
const maxAttempts = 4

// StatusWriter writes a quota's status. The write succeeds only if the
// stored quota still has q's resourceVersion; otherwise it returns an
// error for which apierrors.IsConflict holds. It returns the stored quota.
// q belongs to the caller and is not changed.
type StatusWriter interface {
	UpdateQuotaStatus(ctx context.Context, q *corev1.ResourceQuota) (*corev1.ResourceQuota, error)
}

// Plugin is the ResourceQuota admission plugin. Lookup must also be a
// StatusWriter for requests that consume quota (dry runs only read).
type Plugin struct {
	Lookup admission.Lookup
	// Clock decides whether a deleted pod's grace period is over (nil:
	// the real clock).
	Clock clock.PassiveClock

	batches batcher
}

var _ admission.Validator = (*Plugin)(nil)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Validate implements admission.Validator.
func (p *Plugin) Validate(ctx context.Context, a *admission.Attributes) error {
	var op quota.Op
	switch a.Operation {
	case admission.Create:
		op = quota.Create
	case admission.Update:
		op = quota.Update
	default:
		return nil
	}
	gr := a.Resource.GroupResource()
	if a.Namespace == "" || quota.Ignored(gr) {
		return nil
	}
	now := clock.PassiveClock(clock.RealClock{})
	if p.Clock != nil {
		now = p.Clock
	}
	ev := quota.For(gr, now.Now)
	req := quota.Request{Op: op, Subresource: a.Subresource, Object: a.Object, OldObject: a.OldObject}
	if !ev.Handles(req.Op, req.Subresource, req.Object, req.OldObject) {
		return nil
	}
	// A first look without queueing: most namespaces have no quota that
	// this request changes, and their writes need not wait for each other.
	seen, err := p.charges(ctx, a, ev, req)
	if err != nil || seen == nil || a.DryRun {
		return err
	}
	w := &waiter{a: a, ev: ev, req: req, seen: seen}
	return p.batches.do(a.Namespace, w, func(batch []*waiter) { p.process(a.Namespace, batch) })
}

// charges reads the namespace's quotas and returns them if req changes
// the usage of one (nil otherwise); a refusal is a 403.
func (p *Plugin) charges(ctx context.Context, a *admission.Attributes, ev quota.Evaluator, req quota.Request) ([]corev1.ResourceQuota, error) {
	quotas, err := p.quotas(ctx, a.Namespace, nil)
	if err != nil || len(quotas) == 0 {
		return nil, err
	}
	after, err := quota.Check(ev, quotas, req)
	var d *quota.Denied
	if errors.As(err, &d) {
		return nil, admission.Forbidden(a, d)
	}
	if err != nil {
		return nil, fmt.Errorf("check quotas of %s: %w", a.Namespace, err)
	}
	if len(quota.Changed(quotas, after)) == 0 {
		return nil, nil
	}
	return quotas, nil
}

// quotas reads the namespace's quotas, leaving out those named in skip.
func (p *Plugin) quotas(ctx context.Context, namespace string, skip []string) ([]corev1.ResourceQuota, error) {
	objs, err := p.Lookup.List(ctx, corev1.SchemeGroupVersion.WithResource("resourcequotas"), namespace)
	if err != nil {
		return nil, fmt.Errorf("list quotas of %s: %w", namespace, err)
	}
	out := make([]corev1.ResourceQuota, 0, len(objs))
	for _, o := range objs {
		q, ok := o.(*corev1.ResourceQuota)
		if !ok {
			return nil, fmt.Errorf("list quotas of %s: got %T", namespace, o)
		}
		if !slices.Contains(skip, q.Name) {
			out = append(out, *q)
		}
	}
	return out, nil
}
