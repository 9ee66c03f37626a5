package fieldmanager

import (
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/util"
	"k8s.io/utils/clock"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// Manager applies patches and tracks managed fields for the built-in kinds
// of its scheme. It is safe for concurrent use; the merge schema is built on
// first use (it takes a noticeable fraction of a second).
type Manager struct {
	scheme     *runtime.Scheme
	clock      clock.PassiveClock
	maxUpdates int

	once    sync.Once
	parser  *typed.Parser
	initErr error

	kinds kindCache
	convs converterCache

	// mainFilter and statusFilter decide what writes to the main resource
	// and to the status subresource may own; read-only once built.
	mainFilter, statusFilter ownershipFilter
}

// Option configures a Manager.
type Option func(*Manager)

// WithClock sets the clock that stamps managedFields times (default: real).
func WithClock(c clock.PassiveClock) Option { return func(m *Manager) { m.clock = c } }

// WithMaxUpdateManagers caps the number of Update entries kept per object;
// older ones are merged into a per-version "ancient-changes" entry. The
// default is upstream's 10; 0 or less disables the cap.
func WithMaxUpdateManagers(n int) Option { return func(m *Manager) { m.maxUpdates = n } }

// defaultMaxUpdateManagers is upstream's cap on Update entries.
const defaultMaxUpdateManagers = 10

// New returns a Manager for the kinds registered in scheme. The scheme maps
// a kind to its Go type, whose canonical model name selects the schema.
func New(scheme *runtime.Scheme, opts ...Option) (*Manager, error) {
	if scheme == nil {
		return nil, errors.New("fieldmanager: nil scheme")
	}
	m := &Manager{
		scheme: scheme, clock: clock.RealClock{}, maxUpdates: defaultMaxUpdateManagers,
		mainFilter: newOwnershipFilter(""), statusFilter: newOwnershipFilter("status"),
	}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

// buildType returns the parseable merge type of kind gvk (see typeOf).
func (m *Manager) buildType(gvk schema.GroupVersionKind) (typed.ParseableType, error) {
	m.once.Do(func() { m.parser, m.initErr = newParser() })
	if m.initErr != nil {
		return typed.ParseableType{}, fmt.Errorf("build merge schema: %w", m.initErr)
	}
	sample, err := m.scheme.New(gvk)
	if err != nil {
		return typed.ParseableType{}, fmt.Errorf("no type for %s: %w", gvk, err)
	}
	pt := m.parser.Type(util.GetCanonicalTypeName(sample))
	if !pt.IsValid() {
		return typed.ParseableType{}, fmt.Errorf("no merge schema for %s", gvk)
	}
	return pt, nil
}

// buildUpdater returns the merge updater of kind gvk written through
// subresource, which decides which fields a write may own (see
// ownershipFilter and updater).
func (m *Manager) buildUpdater(gvk schema.GroupVersionKind, subresource string) *merge.Updater {
	version := fieldpath.APIVersion(gvk.GroupVersion().String())
	b := merge.UpdaterBuilder{
		Converter:    versionConverter{m: m, gvk: gvk},
		IgnoreFilter: map[fieldpath.APIVersion]fieldpath.Filter{version: m.filter(subresource)},
	}
	return b.BuildUpdater()
}

// filter returns what a write through subresource ("" or "status") may
// own (see ownershipFilter).
func (m *Manager) filter(subresource string) ownershipFilter {
	if subresource == "status" {
		return m.statusFilter
	}
	return m.mainFilter
}

// errMissingVersion marks a managedFields entry of a version this server
// cannot represent the object in; the updater drops such entries.
var errMissingVersion = errors.New("version not served")

// versionConverter re-reads an object under the schema of another version
// of the same kind. Capstan serves no conversions between versions, so this
// is exact for identical schemas and reports a missing version otherwise.
type versionConverter struct {
	m   *Manager
	gvk schema.GroupVersionKind
}

var _ merge.Converter = versionConverter{}

func (c versionConverter) Convert(obj *typed.TypedValue, version fieldpath.APIVersion) (*typed.TypedValue, error) {
	gv, err := schema.ParseGroupVersion(string(version))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errMissingVersion, version)
	}
	if gv == c.gvk.GroupVersion() {
		return obj, nil
	}
	pt, err := c.m.typeOf(gv.WithKind(c.gvk.Kind))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errMissingVersion, version)
	}
	out, err := pt.FromUnstructured(obj.AsValue().Unstructured(), typed.AllowDuplicates)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errMissingVersion, version, err)
	}
	return out, nil
}

func (c versionConverter) IsMissingVersionError(err error) bool {
	return errors.Is(err, errMissingVersion)
}
