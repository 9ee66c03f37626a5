package core

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDefaultImagePullPolicy(t *testing.T) {
	for _, tc := range []struct {
		image string
		want  v1.PullPolicy
	}{
		{"nginx", v1.PullAlways},
		{"nginx:latest", v1.PullAlways},
		{"nginx:1.25", v1.PullIfNotPresent},
		{"localhost:5000/nginx", v1.PullAlways},
		{"localhost:5000/nginx:v1", v1.PullIfNotPresent},
		{"nginx@sha256:abcd", v1.PullIfNotPresent},
		{"nginx:latest@sha256:abcd", v1.PullAlways},
	} {
		if got := DefaultImagePullPolicy(tc.image); got != tc.want {
			t.Errorf("DefaultImagePullPolicy(%q) = %s, want %s", tc.image, got, tc.want)
		}
	}
}

func TestDefaultPod(t *testing.T) {
	in := &v1.Pod{Spec: v1.PodSpec{
		ServiceAccountName: "builder",
		Containers: []v1.Container{{
			Name:  "app",
			Image: "nginx:1.25",
			Ports: []v1.ContainerPort{{ContainerPort: 80}},
			Resources: v1.ResourceRequirements{
				Limits: v1.ResourceList{v1.ResourceCPU: resource.MustParse("500m")},
			},
			LivenessProbe: &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{}}},
			Env:           []v1.EnvVar{{Name: "NODE", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
		}},
		Volumes: []v1.Volume{{Name: "scratch"}, {Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{}}}},
	}}
	grace := int64(30)
	enable := true
	mode := int32(0o644)
	want := &v1.Pod{Spec: v1.PodSpec{
		ServiceAccountName:            "builder",
		DeprecatedServiceAccount:      "builder",
		RestartPolicy:                 v1.RestartPolicyAlways,
		DNSPolicy:                     v1.DNSClusterFirst,
		TerminationGracePeriodSeconds: &grace,
		SchedulerName:                 "default-scheduler",
		SecurityContext:               &v1.PodSecurityContext{},
		EnableServiceLinks:            &enable,
		Containers: []v1.Container{{
			Name:                     "app",
			Image:                    "nginx:1.25",
			ImagePullPolicy:          v1.PullIfNotPresent,
			TerminationMessagePath:   "/dev/termination-log",
			TerminationMessagePolicy: v1.TerminationMessageReadFile,
			Ports:                    []v1.ContainerPort{{ContainerPort: 80, Protocol: v1.ProtocolTCP}},
			Resources: v1.ResourceRequirements{
				Limits:   v1.ResourceList{v1.ResourceCPU: resource.MustParse("500m")},
				Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("500m")},
			},
			LivenessProbe: &v1.Probe{
				ProbeHandler:     v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Path: "/", Scheme: v1.URISchemeHTTP}},
				TimeoutSeconds:   1,
				PeriodSeconds:    10,
				SuccessThreshold: 1,
				FailureThreshold: 3,
			},
			Env: []v1.EnvVar{{Name: "NODE", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}}},
		}},
		Volumes: []v1.Volume{
			{Name: "scratch", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
			{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{DefaultMode: &mode}}},
		},
	}}
	DefaultPod(in)
	if !equality.Semantic.DeepEqual(in, want) {
		t.Errorf("DefaultPod:\n got %+v\nwant %+v", in.Spec, want.Spec)
	}
}

func TestDefaultPodSpecKeepsSetValuesAndHostNetworkPorts(t *testing.T) {
	grace := int64(5)
	spec := &v1.PodSpec{
		HostNetwork:                   true,
		RestartPolicy:                 v1.RestartPolicyNever,
		DNSPolicy:                     v1.DNSDefault,
		TerminationGracePeriodSeconds: &grace,
		Containers:                    []v1.Container{{Name: "a", Image: "x", ImagePullPolicy: v1.PullNever, Ports: []v1.ContainerPort{{ContainerPort: 8080}}}},
	}
	DefaultPodSpec(spec)
	if spec.RestartPolicy != v1.RestartPolicyNever || spec.DNSPolicy != v1.DNSDefault || *spec.TerminationGracePeriodSeconds != 5 {
		t.Errorf("defaults overwrote set values: %+v", spec)
	}
	if spec.Containers[0].ImagePullPolicy != v1.PullNever {
		t.Errorf("imagePullPolicy = %s, want Never", spec.Containers[0].ImagePullPolicy)
	}
	if got := spec.Containers[0].Ports[0].HostPort; got != 8080 {
		t.Errorf("hostPort = %d, want 8080 for hostNetwork pods", got)
	}
	if spec.EnableServiceLinks != nil {
		t.Errorf("enableServiceLinks is a Pod-only default, got %v on a spec", *spec.EnableServiceLinks)
	}
}
