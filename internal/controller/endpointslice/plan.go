package endpointslice

import (
	"maps"
	"slices"
	"sort"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// MaxEndpointsPerSlice is the controller's default slice capacity.
const MaxEndpointsPerSlice = 100

// PlanInput is what PlanSlices packs. Existing and Desired are read only.
type PlanInput struct {
	// Existing are the slices of one owner and one address type that the
	// calling controller manages.
	Existing []*discoveryv1.EndpointSlice
	Desired  Desired
	// Max is the capacity of a slice (> 0).
	Max int
	// Labels are the labels every slice must carry, exactly.
	Labels map[string]string
	// Annotations, when not nil, are the annotations every slice must carry,
	// exactly; nil leaves annotations to the caller.
	Annotations map[string]string
	// New returns an empty, unnamed slice (generateName, owner, address
	// type) for ports; PlanSlices sets its labels and endpoints.
	New func(ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice
	// Placeholder keeps one empty slice when nothing is desired, as
	// upstream does for a Service without endpoints.
	Placeholder bool
}

// Plan is the writes that converge the slices. Update entries are copies of
// existing slices (name, resourceVersion kept); Create entries have no name.
type Plan struct {
	Create, Update, Delete []*discoveryv1.EndpointSlice
}

// Empty reports whether nothing needs writing.
func (p Plan) Empty() bool { return len(p.Create)+len(p.Update)+len(p.Delete) == 0 }

// PlanSlices packs the desired endpoints into slices with little churn, in
// the manner of upstream: endpoints stay in the slice they are in (updated
// in place), slices that lost all endpoints go away, new endpoints first
// fill slices being updated anyway, then the fullest unchanged slice they
// fit in whole, then new slices; and a create paired with a delete becomes
// an update of the deleted slice.
func PlanSlices(in PlanInput) Plan {
	desired := in.Desired
	if in.Placeholder && len(desired) == 0 {
		desired = Desired{"": &Group{Ports: []discoveryv1.EndpointPort{}}}
	}
	byKey := map[string][]*discoveryv1.EndpointSlice{}
	var p Plan
	for _, s := range sortedByName(in.Existing) {
		k := PortKey(s.Ports)
		if _, ok := desired[k]; !ok {
			p.Delete = append(p.Delete, s)
			continue
		}
		byKey[k] = append(byKey[k], s)
	}
	for _, k := range slices.Sorted(maps.Keys(desired)) {
		g := in.planGroup(byKey[k], desired[k])
		p.Create = append(p.Create, g.Create...)
		p.Update = append(p.Update, g.Update...)
		p.Delete = append(p.Delete, g.Delete...)
	}
	return recycle(p)
}

// planGroup converges the slices of one port set.
func (in PlanInput) planGroup(existing []*discoveryv1.EndpointSlice, g *Group) Plan {
	want := make(map[string]*discoveryv1.Endpoint, len(g.Endpoints))
	for i := range g.Endpoints {
		want[EndpointKey(&g.Endpoints[i])] = &g.Endpoints[i]
	}
	var p Plan
	var unchanged []*discoveryv1.EndpointSlice
	for _, s := range existing {
		eps := make([]discoveryv1.Endpoint, 0, len(s.Endpoints))
		changed := false
		for i := range s.Endpoints {
			k := EndpointKey(&s.Endpoints[i])
			w, ok := want[k]
			if !ok {
				changed = true
				continue
			}
			if !equality.Semantic.DeepEqual(*w, s.Endpoints[i]) {
				changed = true
			}
			eps = append(eps, *w)
			delete(want, k)
		}
		metaChanged := !maps.Equal(s.Labels, in.Labels) || (in.Annotations != nil && !maps.Equal(s.Annotations, in.Annotations))
		switch {
		case len(eps) == 0 && len(s.Endpoints) > 0:
			p.Delete = append(p.Delete, s)
		case changed || metaChanged:
			p.Update = append(p.Update, in.rewrite(s, eps))
		default:
			unchanged = append(unchanged, s)
		}
	}
	rest := make([]*discoveryv1.Endpoint, 0, len(want))
	for _, k := range slices.Sorted(maps.Keys(want)) {
		rest = append(rest, want[k])
	}
	sort.SliceStable(p.Update, func(i, j int) bool { return len(p.Update[i].Endpoints) > len(p.Update[j].Endpoints) })
	for _, s := range p.Update {
		rest = in.fill(s, rest)
	}
	for len(rest) > 0 {
		s, i := in.fittingUnchanged(unchanged, len(rest))
		if s != nil {
			unchanged = slices.Delete(unchanged, i, i+1)
			s = in.rewrite(s, s.Endpoints)
			p.Update = append(p.Update, s)
		} else {
			s = in.newSlice(g.Ports)
			p.Create = append(p.Create, s)
		}
		rest = in.fill(s, rest)
	}
	if len(g.Endpoints) == 0 && len(unchanged)+len(p.Update) == 0 {
		p.Create = append(p.Create, in.newSlice(g.Ports))
	}
	return p
}

// rewrite copies s with endpoints eps and the wanted metadata.
func (in PlanInput) rewrite(s *discoveryv1.EndpointSlice, eps []discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	c := s.DeepCopy()
	c.Endpoints = slices.Clone(eps)
	c.Labels = maps.Clone(in.Labels)
	if in.Annotations != nil {
		c.Annotations = maps.Clone(in.Annotations)
	}
	return c
}

func (in PlanInput) newSlice(ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	s := in.New(ports)
	s.Labels = maps.Clone(in.Labels)
	if in.Annotations != nil {
		s.Annotations = maps.Clone(in.Annotations)
	}
	s.Endpoints = []discoveryv1.Endpoint{}
	return s
}

// fill moves endpoints from rest into s up to capacity and returns the rest.
func (in PlanInput) fill(s *discoveryv1.EndpointSlice, rest []*discoveryv1.Endpoint) []*discoveryv1.Endpoint {
	for len(rest) > 0 && len(s.Endpoints) < in.Max {
		s.Endpoints = append(s.Endpoints, *rest[0])
		rest = rest[1:]
	}
	return rest
}

// fittingUnchanged picks the fullest unchanged slice that takes all n
// remaining endpoints, as upstream; nil when none does (or n fills a slice).
func (in PlanInput) fittingUnchanged(unchanged []*discoveryv1.EndpointSlice, n int) (*discoveryv1.EndpointSlice, int) {
	if n >= in.Max {
		return nil, -1
	}
	best := -1
	for i, s := range unchanged {
		if len(s.Endpoints)+n <= in.Max && (best < 0 || len(s.Endpoints) > len(unchanged[best].Endpoints)) {
			best = i
		}
	}
	if best < 0 {
		return nil, -1
	}
	return unchanged[best], best
}

// recycle turns create+delete pairs into updates of the deleted slices.
func recycle(p Plan) Plan {
	for len(p.Create) > 0 && len(p.Delete) > 0 {
		c, d := p.Create[len(p.Create)-1], p.Delete[len(p.Delete)-1]
		u := d.DeepCopy()
		u.Labels, u.Annotations, u.Ports, u.Endpoints = c.Labels, c.Annotations, c.Ports, c.Endpoints
		if u.Annotations == nil {
			u.Annotations = d.Annotations
		}
		p.Update = append(p.Update, u)
		p.Create, p.Delete = p.Create[:len(p.Create)-1], p.Delete[:len(p.Delete)-1]
	}
	return p
}

func sortedByName(in []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := slices.Clone(in)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
