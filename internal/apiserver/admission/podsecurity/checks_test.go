package podsecurity

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func ptr[T any](v T) *T { return &v }

// restrictedPod passes every restricted check.
func restrictedPod() *corev1.Pod {
	return &corev1.Pod{Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
	}}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name  string
		level Level
		tweak func(p *corev1.Pod)
		want  string
	}{
		{"plain pod passes baseline", Baseline, func(p *corev1.Pod) { p.Spec = corev1.PodSpec{Containers: []corev1.Container{{Name: "x"}}} }, ""},
		{"plain pod against restricted", Restricted, func(p *corev1.Pod) { p.Spec = corev1.PodSpec{Containers: []corev1.Container{{Name: "x"}}} },
			`allowPrivilegeEscalation != false (container "x" must set securityContext.allowPrivilegeEscalation=false), ` +
				`unrestricted capabilities (container "x" must set securityContext.capabilities.drop=["ALL"]), ` +
				`runAsNonRoot != true (pod or container "x" must set securityContext.runAsNonRoot=true), ` +
				`seccompProfile (pod or container "x" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`},
		{"restricted pod passes", Restricted, func(*corev1.Pod) {}, ""},
		{"privileged anywhere", Privileged, func(p *corev1.Pod) { p.Spec.HostNetwork = true }, ""},
		{"host namespaces", Baseline, func(p *corev1.Pod) { p.Spec.HostNetwork, p.Spec.HostPID, p.Spec.HostIPC = true, true, true },
			"host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"},
		{"privileged containers", Baseline, func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}
			p.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
		}, `privileged (containers "init", "app" must not set securityContext.privileged=true)`},
		{"baseline capabilities", Baseline, func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_TIME", "NET_ADMIN", "CHOWN"}
		}, `non-default capabilities (container "app" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add)`},
		{"restricted capabilities", Restricted, func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"CHOWN", "NET_BIND_SERVICE"}}
		}, `unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]; container "app" must not include "CHOWN" in securityContext.capabilities.add)`},
		{"hostPath under baseline", Baseline, func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		}, `hostPath volumes (volume "h")`},
		{"volume types under restricted", Restricted, func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{
				{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
				{Name: "ok", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "n", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "s", Path: "/"}}},
			}
		}, `restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs")`},
		{"host ports", Baseline, func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}, {ContainerPort: 443, HostPort: 443}}
		}, `hostPort (container "app" uses hostPorts 443, 8080)`},
		{"sysctls", Baseline, func(p *corev1.Pod) {
			p.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.tcp_syncookies", Value: "1"}, {Name: "kernel.msgmax", Value: "1"}}
		}, `forbidden sysctls (kernel.msgmax)`},
		{"procMount", Baseline, func(p *corev1.Pod) { p.Spec.Containers[0].SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount) },
			`procMount (container "app" must not set securityContext.procMount to "Unmasked")`},
		{"procMount allowed in a user namespace under baseline", Baseline, func(p *corev1.Pod) {
			p.Spec.HostUsers = ptr(false)
			p.Spec.Containers[0].SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount)
		}, ""},
		{"seLinux", Baseline, func(p *corev1.Pod) {
			p.Spec.SecurityContext.SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t", User: "root"}
		}, `seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)`},
		{"seccomp unconfined", Baseline, func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, `seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")`},
		{"apparmor", Baseline, func(p *corev1.Pod) {
			p.Spec.SecurityContext.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
			p.Annotations = map[string]string{appArmorAnnotationPrefix + "app": "unconfined"}
		}, `forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")`},
		{"hostProcess", Baseline, func(p *corev1.Pod) {
			p.Spec.SecurityContext.WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr(true)}
		}, `hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)`},
		{"probe host", Baseline, func(p *corev1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1"}}}
		}, `probe or lifecycle host (container "app" uses probe or lifecycle host "10.0.0.1")`},
		{"run as root", Restricted, func(p *corev1.Pod) {
			p.Spec.SecurityContext.RunAsNonRoot = ptr(false)
			p.Spec.Containers[0].SecurityContext.RunAsUser = ptr(int64(0))
		}, `runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (container "app" must not set runAsUser=0)`},
		{"windows pods skip linux-only restricted checks", Restricted, func(p *corev1.Pod) {
			p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
			p.Spec.Containers[0].SecurityContext = nil
			p.Spec.SecurityContext.SeccompProfile = nil
		}, ""},
		{"ephemeral containers count", Restricted, func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug",
				SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}}}
		}, `allowPrivilegeEscalation != false (container "debug" must set securityContext.allowPrivilegeEscalation=false)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := restrictedPod()
			tt.tweak(p)
			if got := Message(Evaluate(tt.level, &p.ObjectMeta, &p.Spec)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestPolicyFor(t *testing.T) {
	tests := []struct {
		name    string
		labels  map[string]string
		want    Policy
		wantErr int
	}{
		{"no labels", nil, Policy{LevelVersion{Privileged, "latest"}, LevelVersion{Privileged, "latest"}, LevelVersion{Privileged, "latest"}}, 0},
		{"enforce sets warn", map[string]string{EnforceLabel: "restricted", EnforceLabel + "-version": "v1.30"},
			Policy{LevelVersion{Restricted, "v1.30"}, LevelVersion{Privileged, "latest"}, LevelVersion{Restricted, "v1.30"}}, 0},
		{"explicit warn wins", map[string]string{EnforceLabel: "baseline", WarnLabel: "privileged"},
			Policy{LevelVersion{Baseline, "latest"}, LevelVersion{Privileged, "latest"}, LevelVersion{Privileged, "latest"}}, 0},
		{"invalid enforce fails closed", map[string]string{EnforceLabel: "bogus"},
			Policy{LevelVersion{Restricted, "latest"}, LevelVersion{Privileged, "latest"}, LevelVersion{Privileged, "latest"}}, 1},
		{"invalid version", map[string]string{WarnLabel: "baseline", WarnLabel + "-version": "2"},
			Policy{LevelVersion{Privileged, "latest"}, LevelVersion{Privileged, "latest"}, LevelVersion{Baseline, "latest"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := PolicyFor(tt.labels)
			if got != tt.want || len(errs) != tt.wantErr {
				t.Errorf("got %+v (%v), want %+v with %d errors", got, errs, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMessageBareReason(t *testing.T) {
	if got := Message([]Violation{{Reason: "a"}, {Reason: "b", Detail: "c"}}); got != "a, b (c)" {
		t.Errorf("got %q", got)
	}
}

func TestParseVersion(t *testing.T) {
	for v, ok := range map[string]bool{"latest": true, "v1.0": true, "v1.31": true, "v1.01": false, "v1.": false, "v1.x": false, "v2.1": false, "1.30": false} {
		if _, err := parseVersion(v); (err == nil) != ok {
			t.Errorf("parseVersion(%q) err = %v, want ok=%v", v, err, ok)
		}
	}
}
