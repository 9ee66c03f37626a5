package builtin

import (
	"fmt"
	"slices"

	"k8s.io/utils/clock"

	"github.com/capstan/capstan/internal/apiserver/admission"
	"github.com/capstan/capstan/internal/apiserver/admission/defaulttolerationseconds"
	"github.com/capstan/capstan/internal/apiserver/admission/limitranger"
	"github.com/capstan/capstan/internal/apiserver/admission/noderestriction"
	"github.com/capstan/capstan/internal/apiserver/admission/podsecurity"
	"github.com/capstan/capstan/internal/apiserver/admission/priority"
	"github.com/capstan/capstan/internal/apiserver/admission/resourcequota"
	"github.com/capstan/capstan/internal/apiserver/admission/serviceaccount"
)

// Options is what the plugins need from the server.
type Options struct {
	Lookup admission.Lookup
	// Clock paces retries (nil: the real clock).
	Clock clock.Clock
	// NotReadySeconds and UnreachableSeconds are the tolerationSeconds
	// DefaultTolerationSeconds gives pods (0: 300, as upstream).
	NotReadySeconds, UnreachableSeconds int64
}

// Names lists every built-in plugin in the order the chain runs them, as
// upstream orders them (all are enabled by default upstream too).
func Names() []string {
	return []string{
		limitranger.Name,
		serviceaccount.Name,
		noderestriction.Name,
		podsecurity.Name,
		priority.Name,
		defaulttolerationseconds.Name,
		resourcequota.Name, // validating, last, as upstream
	}
}

// New builds the chain of the enabled plugins (nil: all of Names), in the
// order of Names whatever the order of enabled. An unknown name is an
// error.
func New(opts Options, enabled []string) (*admission.Chain, error) {
	if enabled == nil {
		enabled = Names()
	}
	for _, n := range enabled {
		if !slices.Contains(Names(), n) {
			return nil, fmt.Errorf("unknown admission plugin %q (known: %v)", n, Names())
		}
	}
	var plugins []admission.Plugin
	for _, n := range Names() {
		if slices.Contains(enabled, n) {
			plugins = append(plugins, plugin(n, opts))
		}
	}
	return admission.NewChain(plugins...), nil
}

func plugin(name string, opts Options) admission.Plugin {
	switch name {
	case limitranger.Name:
		return &limitranger.Plugin{Lookup: opts.Lookup}
	case serviceaccount.Name:
		return &serviceaccount.Plugin{Lookup: opts.Lookup, Clock: opts.Clock}
	case noderestriction.Name:
		return &noderestriction.Plugin{Lookup: opts.Lookup}
	case podsecurity.Name:
		return &podsecurity.Plugin{Lookup: opts.Lookup}
	case priority.Name:
		return &priority.Plugin{Lookup: opts.Lookup}
	case defaulttolerationseconds.Name:
		return &defaulttolerationseconds.Plugin{NotReadySeconds: opts.NotReadySeconds, UnreachableSeconds: opts.UnreachableSeconds}
	case resourcequota.Name:
		return &resourcequota.Plugin{Lookup: opts.Lookup, Clock: opts.Clock}
	}
	return nil
}
