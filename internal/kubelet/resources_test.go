package kubelet

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func res(req, lim map[v1.ResourceName]string) v1.ResourceRequirements {
	conv := func(m map[v1.ResourceName]string) v1.ResourceList {
		if m == nil {
			return nil
		}
		l := v1.ResourceList{}
		for k, v := range m {
			l[k] = resource.MustParse(v)
		}
		return l
	}
	return v1.ResourceRequirements{Requests: conv(req), Limits: conv(lim)}
}

func TestResources(t *testing.T) {
	const gi = int64(1 << 30)
	tests := []struct {
		name               string
		r                  v1.ResourceRequirements
		qos                v1.PodQOSClass
		cgroup             string
		shares, quota, mem int64
		oom                int64
	}{
		{name: "best effort", qos: v1.PodQOSBestEffort, cgroup: "/kubepods/besteffort/poduid-1", shares: 2, oom: 1000},
		{name: "guaranteed", r: res(nil, map[v1.ResourceName]string{"cpu": "500m", "memory": "128Mi"}),
			qos: v1.PodQOSGuaranteed, cgroup: "/kubepods/poduid-1", shares: 512, quota: 50000, mem: 128 << 20, oom: -997},
		{name: "burstable", r: res(map[v1.ResourceName]string{"cpu": "100m", "memory": "256Mi"}, map[v1.ResourceName]string{"cpu": "1"}),
			qos: v1.PodQOSBurstable, cgroup: "/kubepods/burstable/poduid-1", shares: 102, quota: 100000, oom: 1000 - 1000*(256<<20)/(4*gi)},
		{name: "burstable tiny cpu", r: res(map[v1.ResourceName]string{"cpu": "1m"}, nil),
			qos: v1.PodQOSBurstable, cgroup: "/kubepods/burstable/poduid-1", shares: 2, oom: 999},
		{name: "burstable huge memory request", r: res(map[v1.ResourceName]string{"memory": "4Gi"}, nil),
			qos: v1.PodQOSBurstable, cgroup: "/kubepods/burstable/poduid-1", shares: 2, oom: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod(v1.RestartPolicyAlways, "a")
			pod.Spec.Containers[0].Resources = tt.r
			if q := qosClass(pod); q != tt.qos {
				t.Errorf("qos = %s, want %s", q, tt.qos)
			}
			if c := cgroupParent(pod); c != tt.cgroup {
				t.Errorf("cgroup = %s, want %s", c, tt.cgroup)
			}
			r := linuxResources(pod, &pod.Spec.Containers[0], 4*gi)
			if r.CpuShares != tt.shares || r.CpuQuota != tt.quota || r.MemoryLimitInBytes != tt.mem || r.OomScoreAdj != tt.oom {
				t.Errorf("resources = shares %d quota %d mem %d oom %d, want %d %d %d %d",
					r.CpuShares, r.CpuQuota, r.MemoryLimitInBytes, r.OomScoreAdj, tt.shares, tt.quota, tt.mem, tt.oom)
			}
			if tt.quota != 0 && r.CpuPeriod != 100000 {
				t.Errorf("period = %d", r.CpuPeriod)
			}
		})
	}
}

func TestVerifyRunAsNonRoot(t *testing.T) {
	yes, zero, uid := true, int64(0), int64(1000)
	tests := []struct {
		name     string
		sc       *v1.SecurityContext
		imageUID *int64
		user     string
		wantErr  string
	}{
		{name: "not asked", sc: nil, imageUID: &zero},
		{name: "image root", sc: &v1.SecurityContext{RunAsNonRoot: &yes}, imageUID: &zero,
			wantErr: `container has runAsNonRoot and image will run as root (pod: "web_ns(uid-1)", container: a)`},
		{name: "image non-root", sc: &v1.SecurityContext{RunAsNonRoot: &yes}, imageUID: &uid},
		{name: "runAsUser 0", sc: &v1.SecurityContext{RunAsNonRoot: &yes, RunAsUser: &zero}, imageUID: &uid,
			wantErr: `container's runAsUser breaks non-root policy (pod: "web_ns(uid-1)", container: a)`},
		{name: "runAsUser overrides image root", sc: &v1.SecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid}, imageUID: &zero},
		{name: "non-numeric image user", sc: &v1.SecurityContext{RunAsNonRoot: &yes}, user: "nobody",
			wantErr: `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "web_ns(uid-1)", container: a)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod(v1.RestartPolicyAlways, "a")
			pod.Spec.Containers[0].SecurityContext = tt.sc
			err := verifyRunAsNonRoot(pod, &pod.Spec.Containers[0], tt.imageUID, tt.user)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("err = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestContainerSecurity(t *testing.T) {
	no, yes, uid, gid, fs := false, true, int64(1000), int64(3000), int64(2000)
	pod := testPod(v1.RestartPolicyAlways, "a")
	pod.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: &uid, SupplementalGroups: []int64{5}, FSGroup: &fs,
		SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault}}
	pod.Spec.Containers[0].SecurityContext = &v1.SecurityContext{RunAsGroup: &gid, AllowPrivilegeEscalation: &no,
		ReadOnlyRootFilesystem: &yes, Capabilities: &v1.Capabilities{Add: []v1.Capability{"NET_ADMIN"}, Drop: []v1.Capability{"ALL"}}}
	sc := containerSecurity(pod, &pod.Spec.Containers[0], namespaceOptions(pod), "/root")
	if sc.RunAsUser.GetValue() != 1000 || sc.RunAsGroup.GetValue() != 3000 || !sc.NoNewPrivs || !sc.ReadonlyRootfs || sc.Privileged {
		t.Errorf("security = %+v", sc)
	}
	if strings.Join(sc.Capabilities.AddCapabilities, ",") != "NET_ADMIN" || strings.Join(sc.Capabilities.DropCapabilities, ",") != "ALL" {
		t.Errorf("capabilities = %+v", sc.Capabilities)
	}
	if len(sc.SupplementalGroups) != 2 || sc.SupplementalGroups[1] != 2000 || sc.Seccomp.ProfileType.String() != "RuntimeDefault" {
		t.Errorf("groups %v seccomp %v", sc.SupplementalGroups, sc.Seccomp)
	}
	if len(sc.MaskedPaths) == 0 || len(sc.ReadonlyPaths) == 0 {
		t.Error("unprivileged container without masked paths")
	}
	pod.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: &yes}
	if sc = containerSecurity(pod, &pod.Spec.Containers[0], namespaceOptions(pod), "/root"); !sc.Privileged || len(sc.MaskedPaths) != 0 {
		t.Errorf("privileged = %+v", sc)
	}
}

func TestHostsFile(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, "a")
	pod.Spec.Hostname, pod.Spec.Subdomain = "db-0", "db"
	pod.Spec.HostAliases = []v1.HostAlias{{IP: "1.2.3.4", Hostnames: []string{"foo", "bar"}}}
	got := string(hostsFile(pod, []string{"10.0.0.5"}, "db-0", "cluster.local"))
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.0.0.5\tdb-0.db.ns.svc.cluster.local\tdb-0\n",
		"# Entries added by HostAliases.\n1.2.3.4\tfoo\tbar\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("hosts file lacks %q:\n%s", want, got)
		}
	}
}

func TestPullPolicyDefault(t *testing.T) {
	for img, want := range map[string]v1.PullPolicy{"busybox": v1.PullAlways, "busybox:latest": v1.PullAlways,
		"busybox:1.36": v1.PullIfNotPresent, "localhost:5000/x": v1.PullAlways, "x@sha256:abc": v1.PullIfNotPresent} {
		if got := pullPolicy(&v1.Container{Image: img}); got != want {
			t.Errorf("pullPolicy(%s) = %s, want %s", img, got, want)
		}
	}
}
