package defaulttolerationseconds

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan/capstan/internal/apiserver/admission"
)

// Name is the upstream plugin name.
const Name = "DefaultTolerationSeconds"

// DefaultSeconds is how long pods tolerate a not-ready or unreachable node.
const DefaultSeconds int64 = 300

// Plugin adds the default NoExecute tolerations.
type Plugin struct {
	// NotReadySeconds and UnreachableSeconds override DefaultSeconds when
	// not zero.
	NotReadySeconds, UnreachableSeconds int64
}

var _ admission.Mutator = (*Plugin)(nil)

// Name implements admission.Plugin.
func (p *Plugin) Name() string { return Name }

// Admit implements admission.Mutator.
func (p *Plugin) Admit(_ context.Context, a *admission.Attributes) error {
	pod, ok := admission.IsPodCreate(a)
	if !ok {
		return nil
	}
	pod.Spec.Tolerations = AddDefaults(pod.Spec.Tolerations, or(p.NotReadySeconds), or(p.UnreachableSeconds))
	return nil
}

func or(n int64) int64 {
	if n == 0 {
		return DefaultSeconds
	}
	return n
}

// AddDefaults returns tolerations with the not-ready and unreachable
// NoExecute tolerations appended unless some toleration already covers them
// (same key or any key, NoExecute or any effect).
func AddDefaults(tolerations []corev1.Toleration, notReady, unreachable int64) []corev1.Toleration {
	covers := func(key string) bool {
		for _, t := range tolerations {
			if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
				return true
			}
		}
		return false
	}
	add := func(key string, seconds int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds}
	}
	var extra []corev1.Toleration
	if !covers(corev1.TaintNodeNotReady) {
		extra = append(extra, add(corev1.TaintNodeNotReady, notReady))
	}
	if !covers(corev1.TaintNodeUnreachable) {
		extra = append(extra, add(corev1.TaintNodeUnreachable, unreachable))
	}
	return append(tolerations, extra...)
}
