package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validPod returns a defaulted pod that passes validation.
func validPod() *v1.Pod {
	p := &v1.Pod{Spec: v1.PodSpec{
		Containers: []v1.Container{{Name: "app", Image: "nginx:1.25",
			VolumeMounts: []v1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
		Volumes: []v1.Volume{{Name: "data"}},
	}}
	DefaultPod(p)
	return p
}

func TestValidatePod(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1.Pod)
		want   []string
	}{
		{"valid", func(*v1.Pod) {}, nil},
		{"no containers", func(p *v1.Pod) { p.Spec.Containers = nil }, []string{"FieldValueRequired spec.containers"}},
		{"missing image", func(p *v1.Pod) { p.Spec.Containers[0].Image = "" }, []string{"FieldValueRequired spec.containers[0].image"}},
		{"image whitespace", func(p *v1.Pod) { p.Spec.Containers[0].Image = " nginx" }, []string{"FieldValueInvalid spec.containers[0].image"}},
		{"bad container name", func(p *v1.Pod) { p.Spec.Containers[0].Name = "App_1" }, []string{"FieldValueInvalid spec.containers[0].name"}},
		{"duplicate container name", func(p *v1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, v1.Container{Name: "app", Image: "x", ImagePullPolicy: v1.PullAlways,
				TerminationMessagePolicy: v1.TerminationMessageReadFile})
		}, []string{"FieldValueDuplicate spec.containers[1].name"}},
		{"init and app share name", func(p *v1.Pod) {
			p.Spec.InitContainers = []v1.Container{{Name: "app", Image: "x", ImagePullPolicy: v1.PullAlways,
				TerminationMessagePolicy: v1.TerminationMessageReadFile}}
		}, []string{"FieldValueDuplicate spec.containers[0].name"}},
		{"bad restart policy", func(p *v1.Pod) { p.Spec.RestartPolicy = "Sometimes" }, []string{"FieldValueNotSupported spec.restartPolicy"}},
		{"dns None without config", func(p *v1.Pod) { p.Spec.DNSPolicy = v1.DNSNone }, []string{"FieldValueRequired spec.dnsConfig"}},
		{"mount of unknown volume", func(p *v1.Pod) { p.Spec.Containers[0].VolumeMounts[0].Name = "nope" }, []string{"FieldValueNotFound spec.containers[0].volumeMounts[0].name"}},
		{"mount path missing", func(p *v1.Pod) { p.Spec.Containers[0].VolumeMounts[0].MountPath = "" }, []string{"FieldValueRequired spec.containers[0].volumeMounts[0].mountPath"}},
		{"duplicate volume", func(p *v1.Pod) { p.Spec.Volumes = append(p.Spec.Volumes, p.Spec.Volumes[0]) }, []string{"FieldValueDuplicate spec.volumes[1].name"}},
		{"two volume types", func(p *v1.Pod) { p.Spec.Volumes[0].HostPath = &v1.HostPathVolumeSource{Path: "/x"} }, []string{"FieldValueForbidden spec.volumes[0].emptyDir"}},
		{"port out of range", func(p *v1.Pod) {
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 70000, Protocol: v1.ProtocolTCP}}
		}, []string{"FieldValueInvalid spec.containers[0].ports[0].containerPort"}},
		{"port protocol bad", func(p *v1.Pod) {
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 80, Protocol: "HTTP"}}
		}, []string{"FieldValueNotSupported spec.containers[0].ports[0].protocol"}},
		{"duplicate port name", func(p *v1.Pod) {
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: v1.ProtocolTCP}, {Name: "http", ContainerPort: 81, Protocol: v1.ProtocolTCP}}
		}, []string{"FieldValueDuplicate spec.containers[0].ports[1].name"}},
		{"host port conflict", func(p *v1.Pod) {
			p.Spec.Containers[0].Ports = []v1.ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: v1.ProtocolTCP}, {ContainerPort: 81, HostPort: 8080, Protocol: v1.ProtocolTCP}}
		}, []string{"FieldValueDuplicate spec.containers[0].ports[1]"}},
		{"env name missing", func(p *v1.Pod) { p.Spec.Containers[0].Env = []v1.EnvVar{{Value: "x"}} }, []string{"FieldValueRequired spec.containers[0].env[0].name"}},
		{"env name with =", func(p *v1.Pod) { p.Spec.Containers[0].Env = []v1.EnvVar{{Name: "A=B"}} }, []string{"FieldValueInvalid spec.containers[0].env[0].name"}},
		{"requests above limits", func(p *v1.Pod) {
			p.Spec.Containers[0].Resources = v1.ResourceRequirements{
				Limits:   v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")},
				Requests: v1.ResourceList{v1.ResourceMemory: resource.MustParse("128Mi")},
			}
		}, []string{"FieldValueInvalid spec.containers[0].resources.requests[memory]"}},
		{"negative quantity", func(p *v1.Pod) {
			p.Spec.Containers[0].Resources = v1.ResourceRequirements{Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("-1")}}
		}, []string{"FieldValueInvalid spec.containers[0].resources.requests[cpu]"}},
		{"unknown resource", func(p *v1.Pod) {
			p.Spec.Containers[0].Resources = v1.ResourceRequirements{Requests: v1.ResourceList{"gpus": resource.MustParse("1")}}
		}, []string{"FieldValueInvalid spec.containers[0].resources.requests[gpus]"}},
		{"probe without handler", func(p *v1.Pod) {
			p.Spec.Containers[0].ReadinessProbe = &v1.Probe{PeriodSeconds: 10}
		}, []string{"FieldValueRequired spec.containers[0].readinessProbe"}},
		{"liveness success threshold", func(p *v1.Pod) {
			p.Spec.Containers[0].LivenessProbe = &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{}}, SuccessThreshold: 2}
		}, []string{"FieldValueInvalid spec.containers[0].livenessProbe.successThreshold"}},
		{"toleration exists with value", func(p *v1.Pod) {
			p.Spec.Tolerations = []v1.Toleration{{Key: "k", Operator: v1.TolerationOpExists, Value: "v"}}
		}, []string{"FieldValueInvalid spec.tolerations[0].operator"}},
		{"toleration seconds needs NoExecute", func(p *v1.Pod) {
			secs := int64(5)
			p.Spec.Tolerations = []v1.Toleration{{Key: "k", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule, TolerationSeconds: &secs}}
		}, []string{"FieldValueInvalid spec.tolerations[0].effect"}},
		{"bad node selector", func(p *v1.Pod) { p.Spec.NodeSelector = map[string]string{"a b": "c"} }, []string{"FieldValueInvalid spec.nodeSelector"}},
		{"activeDeadlineSeconds zero", func(p *v1.Pod) {
			zero := int64(0)
			p.Spec.ActiveDeadlineSeconds = &zero
		}, []string{"FieldValueInvalid spec.activeDeadlineSeconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPod()
			tc.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePod(p), tc.want...)
		})
	}
}

func TestValidatePodMessages(t *testing.T) {
	p := validPod()
	p.Spec.Containers[0].Image = ""
	errs := ValidatePod(p)
	if len(errs) != 1 || errs[0].Error() != "spec.containers[0].image: Required value" {
		t.Fatalf("got %v", errs)
	}
	p = validPod()
	p.Spec.Containers[0].Resources = v1.ResourceRequirements{
		Limits:   v1.ResourceList{v1.ResourceCPU: resource.MustParse("1")},
		Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("2")},
	}
	want := `spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`
	if errs := ValidatePod(p); len(errs) != 1 || errs[0].Error() != want {
		t.Fatalf("got %v, want %s", errs, want)
	}
}

func TestValidatePodTemplateSpecPaths(t *testing.T) {
	tmpl := &v1.PodTemplateSpec{}
	tmpl.Labels = map[string]string{"app": "x"}
	tmpl.Spec = validPod().Spec
	tmpl.Spec.Containers[0].Image = ""
	fieldtest.ExpectErrors(t, ValidatePodTemplateSpec(tmpl, field.NewPath("spec", "template")),
		"FieldValueRequired spec.template.spec.containers[0].image")
}
