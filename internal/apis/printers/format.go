package printers

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Placeholders upstream prints for missing values.
const (
	none    = "<none>"
	unset   = "<unset>"
	unknown = "<unknown>"
)

// maxListed is how many items list cells show before "+ N more...".
const maxListed = 3

// age is the human-readable time from ts to now, or <unknown> for a zero ts.
func age(ts metav1.Time, now time.Time) string {
	if ts.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// microAge is age for a MicroTime.
func microAge(ts metav1.MicroTime, now time.Time) string {
	if ts.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// containerCells lays out container names and images, comma separated.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	im := make([]string, len(containers))
	for i, c := range containers {
		n[i], im[i] = c.Name, c.Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// formatLabels prints a label map as k=v,... or <none>.
func formatLabels(m map[string]string) string {
	return labels.FormatLabels(m)
}

// formatLabelSelector prints a label selector, <none> when empty or nil.
func formatLabelSelector(s *metav1.LabelSelector) string {
	return metav1.FormatLabelSelector(s)
}

// boolPtrString prints True, False or <unset>.
func boolPtrString(b *bool) string {
	if b == nil {
		return unset
	}
	if *b {
		return "True"
	}
	return "False"
}

// listWithMore joins list and appends "+ N more..." when count exceeds what
// was listed; an empty list prints <unset>.
func listWithMore(list []string, count int) string {
	ret := strings.Join(list, ",")
	if count > len(list) {
		return fmt.Sprintf("%s + %d more...", ret, count-len(list))
	}
	if ret == "" {
		return unset
	}
	return ret
}

// formatEndpoints prints up to three ip:port pairs (or bare IPs for subsets
// without ports) of an Endpoints object.
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return none
	}
	var list []string
	count := 0
	add := func(s string) {
		if len(list) < maxListed {
			list = append(list, s)
		}
		count++
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	ret := strings.Join(list, ",")
	if count > len(list) {
		return fmt.Sprintf("%s + %d more...", ret, count-len(list))
	}
	return ret
}

// formatSlicePorts prints up to three EndpointSlice ports: the number, else
// the name, else "*".
func formatSlicePorts(ports []discoveryv1.EndpointPort) string {
	var list []string
	for _, p := range ports {
		if len(list) == maxListed {
			break
		}
		s := "*"
		if p.Port != nil {
			s = strconv.Itoa(int(*p.Port))
		} else if p.Name != nil {
			s = *p.Name
		}
		list = append(list, s)
	}
	return listWithMore(list, len(ports))
}

// formatSliceEndpoints prints up to three addresses of an EndpointSlice.
func formatSliceEndpoints(endpoints []discoveryv1.Endpoint) string {
	var list []string
	count := 0
	for _, e := range endpoints {
		for _, a := range e.Addresses {
			if len(list) < maxListed {
				list = append(list, a)
			}
			count++
		}
	}
	return listWithMore(list, count)
}

// accessModesString prints access modes as RWO,ROX,RWX,RWOP in that order.
func accessModesString(modes []corev1.PersistentVolumeAccessMode) string {
	has := map[corev1.PersistentVolumeAccessMode]bool{}
	for _, m := range modes {
		has[m] = true
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{
		{corev1.ReadWriteOnce, "RWO"},
		{corev1.ReadOnlyMany, "ROX"},
		{corev1.ReadWriteMany, "RWX"},
		{corev1.ReadWriteOncePod, "RWOP"},
	} {
		if has[m.mode] {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

// loadBalancerAddresses prints the sorted, de-duplicated IPs (or hostnames
// when an ingress point has no IP) of a load balancer status.
func loadBalancerAddresses(ips, hostnames []string) string {
	seen := map[string]bool{}
	var out []string
	for i := range ips {
		v := ips[i]
		if v == "" {
			v = hostnames[i]
		}
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
