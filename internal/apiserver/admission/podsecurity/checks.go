package podsecurity

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Violation is one failed check: a short reason and the detail naming the
// offending containers, volumes or values.
type Violation struct {
	Reason, Detail string
}

// checkFunc returns nil when the pod passes.
type checkFunc func(meta *metav1.ObjectMeta, spec *corev1.PodSpec) *Violation

type check struct {
	id        string
	level     Level
	fn        checkFunc
	overrides string // the baseline check a restricted one replaces
}

// allChecks lists the checks of the latest standards, baseline then
// restricted, each group in upstream's ID order.
func allChecks() []check {
	return []check{
		{id: "appArmorProfile", level: Baseline, fn: appArmor},
		{id: "capabilities_baseline", level: Baseline, fn: capabilitiesBaseline},
		{id: "hostNamespaces", level: Baseline, fn: hostNamespaces},
		{id: "hostPathVolumes", level: Baseline, fn: hostPathVolumes},
		{id: "hostPorts", level: Baseline, fn: hostPorts},
		{id: "hostProbesAndHostLifecycle", level: Baseline, fn: hostProbes},
		{id: "privileged", level: Baseline, fn: privileged},
		{id: "procMount", level: Baseline, fn: userNamespaceRelaxed(procMount)},
		{id: "seLinuxOptions", level: Baseline, fn: seLinuxOptions},
		{id: "seccompProfile_baseline", level: Baseline, fn: seccompBaseline},
		{id: "sysctls", level: Baseline, fn: sysctls},
		{id: "windowsHostProcess", level: Baseline, fn: hostProcess},
		{id: "allowPrivilegeEscalation", level: Restricted, fn: notWindows(allowPrivilegeEscalation)},
		{id: "capabilities_restricted", level: Restricted, fn: notWindows(capabilitiesRestricted), overrides: "capabilities_baseline"},
		{id: "procMount_restricted", level: Restricted, fn: procMount, overrides: "procMount"},
		{id: "restrictedVolumes", level: Restricted, fn: restrictedVolumes, overrides: "hostPathVolumes"},
		{id: "runAsNonRoot", level: Restricted, fn: userNamespaceRelaxed(runAsNonRoot)},
		{id: "runAsUser", level: Restricted, fn: userNamespaceRelaxed(runAsUser)},
		{id: "seccompProfile_restricted", level: Restricted, fn: notWindows(seccompRestricted), overrides: "seccompProfile_baseline"},
	}
}

// Evaluate runs the checks of level over a pod and returns the violations
// in upstream's order (none for privileged).
func Evaluate(level Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Violation {
	if level == Privileged {
		return nil
	}
	checks := allChecks()
	overridden := map[string]bool{}
	if level == Restricted {
		for _, c := range checks {
			if c.overrides != "" {
				overridden[c.overrides] = true
			}
		}
	}
	var out []Violation
	for _, c := range checks {
		if overridden[c.id] || (level == Baseline && c.level == Restricted) {
			continue
		}
		if v := c.fn(meta, spec); v != nil {
			out = append(out, *v)
		}
	}
	return out
}

// Message joins violations as upstream: `reason (detail), reason (detail)`.
func Message(vs []Violation) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		if v.Detail == "" {
			parts = append(parts, v.Reason)
			continue
		}
		parts = append(parts, v.Reason+" ("+v.Detail+")")
	}
	return strings.Join(parts, ", ")
}

func notWindows(f checkFunc) checkFunc {
	return func(m *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
		if s.OS != nil && s.OS.Name == corev1.Windows {
			return nil
		}
		return f(m, s)
	}
}

// userNamespaceRelaxed skips a check for pods in their own user namespace.
func userNamespaceRelaxed(f checkFunc) checkFunc {
	return func(m *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
		if s.HostUsers != nil && !*s.HostUsers {
			return nil
		}
		return f(m, s)
	}
}

// container is the part of any container kind the checks read.
type container struct {
	name      string
	sc        *corev1.SecurityContext
	ports     []corev1.ContainerPort
	probes    []*corev1.Probe
	lifecycle *corev1.Lifecycle
}

// containers lists init containers, containers, then ephemeral containers.
func containers(s *corev1.PodSpec) []container {
	var out []container
	add := func(c *corev1.Container) {
		out = append(out, container{c.Name, c.SecurityContext, c.Ports,
			[]*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe}, c.Lifecycle})
	}
	for i := range s.InitContainers {
		add(&s.InitContainers[i])
	}
	for i := range s.Containers {
		add(&s.Containers[i])
	}
	for i := range s.EphemeralContainers {
		c := corev1.Container(s.EphemeralContainers[i].EphemeralContainerCommon)
		add(&c)
	}
	return out
}

func pluralize(singular, plural string, n int) string {
	if n == 1 {
		return singular
	}
	return plural
}

func joinQuote(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return `"` + strings.Join(items, `", "`) + `"`
}

// uniqueSorted returns the distinct items, sorted.
func uniqueSorted(items []string) []string {
	out := slices.Clone(items)
	slices.Sort(out)
	return slices.Compact(out)
}

// setters renders "pod and containers "a", "b"" + suffix.
func setters(pod bool, names []string, suffix string) string {
	var parts []string
	if pod {
		parts = append(parts, "pod")
	}
	if len(names) > 0 {
		parts = append(parts, pluralize("container", "containers", len(names))+" "+joinQuote(names))
	}
	return strings.Join(parts, " and ") + suffix
}

// containerNames collects the names of containers for which bad holds.
func containerNames(s *corev1.PodSpec, bad func(c container) bool) []string {
	var names []string
	for _, c := range containers(s) {
		if bad(c) {
			names = append(names, c.name)
		}
	}
	return names
}

func hostNamespaces(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var found []string
	if s.HostNetwork {
		found = append(found, "hostNetwork=true")
	}
	if s.HostPID {
		found = append(found, "hostPID=true")
	}
	if s.HostIPC {
		found = append(found, "hostIPC=true")
	}
	if len(found) == 0 {
		return nil
	}
	return &Violation{"host namespaces", strings.Join(found, ", ")}
}

func hostPathVolumes(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var names []string
	for _, v := range s.Volumes {
		if v.HostPath != nil {
			names = append(names, v.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return &Violation{"hostPath volumes", pluralize("volume", "volumes", len(names)) + " " + joinQuote(names)}
}

func hostPorts(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var names, ports []string
	for _, c := range containers(s) {
		used := false
		for _, p := range c.ports {
			if p.HostPort != 0 {
				used = true
				ports = append(ports, strconv.Itoa(int(p.HostPort)))
			}
		}
		if used {
			names = append(names, c.name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	ports = uniqueSorted(ports)
	return &Violation{"hostPort", fmt.Sprintf("%s %s %s %s %s", pluralize("container", "containers", len(names)), joinQuote(names),
		pluralize("uses", "use", len(names)), pluralize("hostPort", "hostPorts", len(ports)), strings.Join(ports, ", "))}
}

func handlerHosts(h *corev1.ProbeHandler, l *corev1.LifecycleHandler) []string {
	var out []string
	switch {
	case h != nil && h.HTTPGet != nil && h.HTTPGet.Host != "":
		out = append(out, h.HTTPGet.Host)
	case h != nil && h.TCPSocket != nil && h.TCPSocket.Host != "":
		out = append(out, h.TCPSocket.Host)
	case l != nil && l.HTTPGet != nil && l.HTTPGet.Host != "":
		out = append(out, l.HTTPGet.Host)
	case l != nil && l.TCPSocket != nil && l.TCPSocket.Host != "":
		out = append(out, l.TCPSocket.Host)
	}
	return out
}

func hostProbes(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var names, hosts []string
	for _, c := range containers(s) {
		var found []string
		for _, p := range c.probes {
			if p != nil {
				found = append(found, handlerHosts(&p.ProbeHandler, nil)...)
			}
		}
		if c.lifecycle != nil {
			found = append(found, handlerHosts(nil, c.lifecycle.PostStart)...)
			found = append(found, handlerHosts(nil, c.lifecycle.PreStop)...)
		}
		if len(found) > 0 {
			names, hosts = append(names, c.name), append(hosts, found...)
		}
	}
	if len(names) == 0 {
		return nil
	}
	names, hosts = uniqueSorted(names), uniqueSorted(hosts)
	return &Violation{"probe or lifecycle host", fmt.Sprintf("%s %s %s %s %s", pluralize("container", "containers", len(names)), joinQuote(names),
		pluralize("uses", "use", len(names)), pluralize("probe or lifecycle host", "probe or lifecycle hosts", len(hosts)), joinQuote(hosts))}
}

func privileged(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	names := containerNames(s, func(c container) bool { return c.sc != nil && c.sc.Privileged != nil && *c.sc.Privileged })
	if len(names) == 0 {
		return nil
	}
	return &Violation{"privileged", setters(false, names, " must not set securityContext.privileged=true")}
}

func hostProcess(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	names := containerNames(s, func(c container) bool {
		return c.sc != nil && c.sc.WindowsOptions != nil && c.sc.WindowsOptions.HostProcess != nil && *c.sc.WindowsOptions.HostProcess
	})
	pod := s.SecurityContext != nil && s.SecurityContext.WindowsOptions != nil &&
		s.SecurityContext.WindowsOptions.HostProcess != nil && *s.SecurityContext.WindowsOptions.HostProcess
	if len(names) == 0 && !pod {
		return nil
	}
	return &Violation{"hostProcess", setters(pod, names, " must not set securityContext.windowsOptions.hostProcess=true")}
}

func procMount(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	var types []string
	names := containerNames(s, func(c container) bool {
		if c.sc == nil || c.sc.ProcMount == nil || *c.sc.ProcMount == corev1.DefaultProcMount {
			return false
		}
		types = append(types, string(*c.sc.ProcMount))
		return true
	})
	if len(names) == 0 {
		return nil
	}
	return &Violation{"procMount", setters(false, names, " must not set securityContext.procMount to "+joinQuote(uniqueSorted(types)))}
}

func sysctls(_ *metav1.ObjectMeta, s *corev1.PodSpec) *Violation {
	if s.SecurityContext == nil {
		return nil
	}
	var bad []string
	for _, sc := range s.SecurityContext.Sysctls {
		if !allowedSysctl(sc.Name) {
			bad = append(bad, sc.Name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &Violation{"forbidden sysctls", strings.Join(bad, ", ")}
}

// allowedSysctl lists the namespaced sysctls baseline allows.
func allowedSysctl(name string) bool {
	switch name {
	case "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
		"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
		"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
		"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem":
		return true
	}
	return false
}
