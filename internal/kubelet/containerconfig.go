package kubelet

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerHash fingerprints the parts of a container spec whose change
// means the container must be re-created.
func containerHash(c *v1.Container) string {
	cp := c.DeepCopy()
	cp.Resources = v1.ResourceRequirements{}
	b, _ := json.Marshal(cp)
	h := fnv.New32a()
	_, _ = h.Write(b)
	return strconv.FormatUint(uint64(h.Sum32()), 16)
}

// containerInput is what building a container config needs.
type containerInput struct {
	Pod          *v1.Pod
	Container    *v1.Container
	RestartCount int32
	Image        string // image reference to run (as resolved by the pull)
	Env          []envVar
	VolumePaths  map[string]string
	HostsFile    string // "" for hostNetwork pods or when the container mounts /etc/hosts itself
	TermFile     string // host file behind terminationMessagePath
	RootDir      string
	MemoryBytes  int64
}

// containerConfig builds the CRI config of one container instance.
func containerConfig(in containerInput) (*runtimeapi.ContainerConfig, error) {
	pod, c := in.Pod, in.Container
	lookup := mapLookup(in.Env)
	expand := func(s []string) []string {
		if s == nil {
			return nil
		}
		out := make([]string, len(s))
		for i, a := range s {
			out[i] = expandVars(a, lookup)
		}
		return out
	}
	mounts, err := containerMounts(in)
	if err != nil {
		return nil, err
	}
	cfg := &runtimeapi.ContainerConfig{
		Metadata:   &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(in.RestartCount)},
		Image:      &runtimeapi.ImageSpec{Image: in.Image, UserSpecifiedImage: c.Image},
		Command:    expand(c.Command),
		Args:       expand(c.Args),
		WorkingDir: c.WorkingDir,
		Mounts:     mounts,
		Labels: map[string]string{labelPodName: pod.Name, labelPodNamespace: pod.Namespace,
			labelPodUID: string(pod.UID), labelContainerName: c.Name},
		Annotations: containerAnnotations(pod, c, in.RestartCount),
		LogPath:     filepath.Join(c.Name, fmt.Sprintf("%d.log", in.RestartCount)),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       linuxResources(pod, c, in.MemoryBytes),
			SecurityContext: containerSecurity(pod, c, namespaceOptions(pod), in.RootDir),
		},
	}
	for _, e := range in.Env {
		cfg.Envs = append(cfg.Envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(e.Value)})
	}
	return cfg, nil
}

func containerAnnotations(pod *v1.Pod, c *v1.Container, restart int32) map[string]string {
	a := map[string]string{
		annotationHash:                     containerHash(c),
		annotationRestartCount:             strconv.Itoa(int(restart)),
		annotationTerminationMessagePath:   c.TerminationMessagePath,
		annotationTerminationMessagePolicy: string(c.TerminationMessagePolicy),
		annotationContainerKind:            "regular",
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		a[annotationPodTerminationGracePeriod] = strconv.FormatInt(*pod.Spec.TerminationGracePeriodSeconds, 10)
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == c.Name {
			a[annotationContainerKind] = "init"
		}
	}
	return a
}

// containerMounts maps volumeMounts to host paths, adds /etc/hosts and the
// termination message file.
func containerMounts(in containerInput) ([]*runtimeapi.Mount, error) {
	c := in.Container
	var out []*runtimeapi.Mount
	hasHosts := false
	for _, vm := range c.VolumeMounts {
		host, ok := in.VolumePaths[vm.Name]
		if !ok {
			return nil, fmt.Errorf("cannot find volume %q to mount into container %q", vm.Name, c.Name)
		}
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			sub = expandVars(vm.SubPathExpr, mapLookup(in.Env))
		}
		if sub != "" {
			if !filepath.IsLocal(sub) {
				return nil, fmt.Errorf("subPath %q of volume %q must be a relative path without '..'", sub, vm.Name)
			}
			host = filepath.Join(host, sub)
			if _, err := os.Stat(host); os.IsNotExist(err) {
				if err := os.MkdirAll(host, 0o755); err != nil {
					return nil, fmt.Errorf("create subPath %q of volume %q: %w", sub, vm.Name, err)
				}
			}
		}
		m := &runtimeapi.Mount{ContainerPath: vm.MountPath, HostPath: host, Readonly: vm.ReadOnly}
		if vm.MountPropagation != nil {
			switch *vm.MountPropagation {
			case v1.MountPropagationHostToContainer:
				m.Propagation = runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
			case v1.MountPropagationBidirectional:
				m.Propagation = runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
			}
		}
		if vm.MountPath == "/etc/hosts" {
			hasHosts = true
		}
		out = append(out, m)
	}
	if in.HostsFile != "" && !hasHosts {
		out = append(out, &runtimeapi.Mount{ContainerPath: "/etc/hosts", HostPath: in.HostsFile})
	}
	if in.TermFile != "" && c.TerminationMessagePath != "" {
		out = append(out, &runtimeapi.Mount{ContainerPath: c.TerminationMessagePath, HostPath: in.TermFile})
	}
	return out, nil
}

// terminationFile creates the empty host file behind a container instance's
// terminationMessagePath: <root>/pods/<uid>/containers/<name>/<restart>.
func terminationFile(rootDir string, pod *v1.Pod, name string, restart int32) (string, error) {
	dir := filepath.Join(rootDir, "pods", string(pod.UID), "containers", name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create container dir: %w", err)
	}
	p := filepath.Join(dir, strconv.Itoa(int(restart)))
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o666)
	if err != nil {
		return "", fmt.Errorf("create termination message file: %w", err)
	}
	return p, f.Close()
}

// maxTerminationMessage is the most of a termination message (or log tail)
// reported, as upstream.
const maxTerminationMessage = 4096

// terminationMessage reads what the container left at its
// terminationMessagePath, falling back to the log tail under
// FallbackToLogsOnError when it failed and left nothing.
func terminationMessage(rootDir string, pod *v1.Pod, c *containerState, policy v1.TerminationMessagePolicy, logPath string) string {
	p := filepath.Join(rootDir, "pods", string(pod.UID), "containers", c.Name, strconv.Itoa(int(c.RestartCount)))
	if b, err := readTail(p, maxTerminationMessage); err == nil && len(b) > 0 {
		return string(b)
	}
	if policy == v1.TerminationMessageFallbackToLogsOnError && c.ExitCode != 0 && logPath != "" {
		if b, err := readTail(logPath, 2048); err == nil {
			return string(b)
		}
	}
	return ""
}

func readTail(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	b := make([]byte, st.Size()-off)
	_, err = f.ReadAt(b, off)
	return b, err
}
