package serviceaccount

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "ServiceAccount"

// DefaultName is the account pods use when they name none.
const DefaultName = "default"

// mirrorAnnotation marks a kubelet's mirror of a static pod.
const mirrorAnnotation = "kubernetes.io/config.mirror"

// defaultAttempts is how often the default account is looked up before the
// pod is refused: the serviceaccount controller creates it shortly after
// its namespace, so a pod created right after a namespace waits for it.
const defaultAttempts = 10

// serviceAccounts is the resource the plugin reads.
func serviceAccounts() schema.GroupVersionResource {
	return corev1.SchemeGroupVersion.WithResource("serviceaccounts")
}

// Plugin is the ServiceAccount admission plugin.
type Plugin struct {
	Lookup admission.Lookup
	// Clock paces the retries for the default account (nil: real clock).
	Clock clock.Clock
	// NameSuffix makes the random suffix of the token volume's name (nil:
	// five random characters); tests fix it.
	NameSuffix func() string
}

var _ admission.Mutator = (*Plugin)(nil)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit implements admission.Mutator.
func (p *Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	pod, ok := admission.IsPodCreate(a)
	if !ok {
		return nil
	}
	if _, mirror := pod.Annotations[mirrorAnnotation]; mirror {
		if pod.Spec.ServiceAccountName != "" {
			return admission.Forbidden(a, fmt.Errorf("a mirror pod may not reference service accounts"))
		}
		return nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultName
	}
	// The deprecated alias always shows the same account.
	pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	sa, err := p.get(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if err != nil {
		return admission.Forbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if shouldAutomount(sa, pod) {
		suffix := p.NameSuffix
		if suffix == nil {
			suffix = randomSuffix
		}
		mountToken(pod, suffix)
	}
	if len(pod.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		pod.Spec.ImagePullSecrets = append([]corev1.LocalObjectReference(nil), sa.ImagePullSecrets...)
	}
	return nil
}

// get reads the account, retrying the default one for a short while.
func (p *Plugin) get(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	attempts := 1
	if name == DefaultName {
		attempts = defaultAttempts
	}
	clk := p.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	interval := time.Duration(100+rand.IntN(100)) * time.Millisecond
	for i := range attempts {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-clk.After(interval):
			}
		}
		obj, err := p.Lookup.Get(ctx, serviceAccounts(), namespace, name)
		if err == nil {
			if sa, ok := obj.(*corev1.ServiceAccount); ok {
				return sa, nil
			}
			return nil, fmt.Errorf("unexpected %T for a service account", obj)
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
}
