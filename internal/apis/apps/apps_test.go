package apps

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func template() v1.PodTemplateSpec {
	return v1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "web", Image: "nginx:1.25"}}},
	}
}

func selector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
}

func TestDefaultDeployment(t *testing.T) {
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Selector: selector(), Template: template()}}
	DefaultDeployment(d)
	pct := intstr.FromString("25%")
	wantStrategy := appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &pct, MaxSurge: &pct}}
	switch {
	case *d.Spec.Replicas != 1:
		t.Errorf("replicas = %d", *d.Spec.Replicas)
	case !equality.Semantic.DeepEqual(d.Spec.Strategy, wantStrategy):
		t.Errorf("strategy = %+v", d.Spec.Strategy)
	case *d.Spec.RevisionHistoryLimit != 10 || *d.Spec.ProgressDeadlineSeconds != 600:
		t.Errorf("limits = %d %d", *d.Spec.RevisionHistoryLimit, *d.Spec.ProgressDeadlineSeconds)
	case d.Spec.Template.Spec.RestartPolicy != v1.RestartPolicyAlways || d.Spec.Template.Spec.Containers[0].ImagePullPolicy != v1.PullIfNotPresent:
		t.Errorf("template not defaulted: %+v", d.Spec.Template.Spec)
	case d.Spec.Template.Spec.EnableServiceLinks != nil:
		t.Errorf("enableServiceLinks must stay unset on templates")
	}
	recreate := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}}}
	DefaultDeployment(recreate)
	if recreate.Spec.Strategy.RollingUpdate != nil {
		t.Errorf("Recreate must not get rollingUpdate defaults")
	}
}

func TestDefaultStatefulSetAndDaemonSet(t *testing.T) {
	ss := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: template(),
		VolumeClaimTemplates: []v1.PersistentVolumeClaim{{}}}}
	DefaultStatefulSet(ss)
	if ss.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement ||
		ss.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType ||
		*ss.Spec.UpdateStrategy.RollingUpdate.Partition != 0 || *ss.Spec.Replicas != 1 ||
		ss.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType ||
		*ss.Spec.VolumeClaimTemplates[0].Spec.VolumeMode != v1.PersistentVolumeFilesystem {
		t.Errorf("statefulset defaults: %+v", ss.Spec)
	}
	ds := &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Template: template()}}
	DefaultDaemonSet(ds)
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || ru.MaxUnavailable.IntValue() != 1 ||
		ru.MaxSurge.IntValue() != 0 || ru.MaxSurge.Type != intstr.Int || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("daemonset defaults: %+v", ds.Spec)
	}
}

func validDeployment() *appsv1.Deployment {
	d := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Selector: selector(), Template: template()}}
	DefaultDeployment(d)
	return d
}

func TestValidateDeployment(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   []string
	}{
		{"valid", func(*appsv1.Deployment) {}, nil},
		{"no selector", func(d *appsv1.Deployment) { d.Spec.Selector = nil }, []string{"FieldValueRequired spec.selector"}},
		{"empty selector", func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }, []string{"FieldValueInvalid spec.selector"}},
		{"selector mismatch", func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "x"} },
			[]string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"negative replicas", func(d *appsv1.Deployment) { n := int32(-1); d.Spec.Replicas = &n }, []string{"FieldValueInvalid spec.replicas"}},
		{"restart policy", func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = v1.RestartPolicyNever },
			[]string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"template image", func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "" },
			[]string{"FieldValueRequired spec.template.spec.containers[0].image"}},
		{"both zero", func(d *appsv1.Deployment) {
			zero := intstr.FromInt32(0)
			d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &zero}
		}, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{"over 100%", func(d *appsv1.Deployment) {
			p := intstr.FromString("150%")
			d.Spec.Strategy.RollingUpdate.MaxUnavailable = &p
		}, []string{"FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable"}},
		{"recreate with rolling params", func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType },
			[]string{"FieldValueForbidden spec.strategy.rollingUpdate"}},
		{"deadline below minReady", func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = 600 },
			[]string{"FieldValueInvalid spec.progressDeadlineSeconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			fieldtest.ExpectErrors(t, ValidateDeployment(d), tc.want...)
		})
	}
}

func TestSelectorMismatchMessage(t *testing.T) {
	d := validDeployment()
	d.Spec.Template.Labels = map[string]string{"app": "x"}
	// apimachinery v0.37 renders map values as JSON, as upstream's API server does.
	want := "spec.template.metadata.labels: Invalid value: {\"app\":\"x\"}: `selector` does not match template `labels`"
	if errs := ValidateDeployment(d); len(errs) != 1 || errs[0].Error() != want {
		t.Fatalf("got %v\nwant %s", errs, want)
	}
}

func TestValidateDeploymentUpdateSelectorImmutable(t *testing.T) {
	old := validDeployment()
	d := old.DeepCopy()
	d.Spec.Replicas = new(int32)
	fieldtest.ExpectErrors(t, ValidateDeploymentUpdate(d, old))
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "x"}}
	d.Spec.Template.Labels["tier"] = "x"
	fieldtest.ExpectErrors(t, ValidateDeploymentUpdate(d, old), "FieldValueInvalid spec.selector")
}

func TestValidateReplicaSetAndDaemonSet(t *testing.T) {
	rs := &appsv1.ReplicaSet{Spec: appsv1.ReplicaSetSpec{Selector: selector(), Template: template()}}
	DefaultReplicaSet(rs)
	fieldtest.ExpectErrors(t, ValidateReplicaSet(rs))
	rs.Spec.Template.Spec.ActiveDeadlineSeconds = new(int64)
	*rs.Spec.Template.Spec.ActiveDeadlineSeconds = 5
	fieldtest.ExpectErrors(t, ValidateReplicaSet(rs), "FieldValueForbidden spec.template.spec.activeDeadlineSeconds")

	ds := &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{Selector: selector(), Template: template()}}
	DefaultDaemonSet(ds)
	fieldtest.ExpectErrors(t, ValidateDaemonSet(ds))
	ds.Spec.UpdateStrategy.Type = "Sometimes"
	fieldtest.ExpectErrors(t, ValidateDaemonSet(ds), "FieldValueNotSupported spec.updateStrategy.type")
}

func validStatefulSet() *appsv1.StatefulSet {
	ss := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{ServiceName: "web", Selector: selector(), Template: template()}}
	DefaultStatefulSet(ss)
	return ss
}

func TestValidateStatefulSet(t *testing.T) {
	fieldtest.ExpectErrors(t, ValidateStatefulSet(validStatefulSet()))
	ss := validStatefulSet()
	ss.Spec.PodManagementPolicy = "Random"
	fieldtest.ExpectErrors(t, ValidateStatefulSet(ss), "FieldValueInvalid spec.podManagementPolicy")
	ss = validStatefulSet()
	ss.Spec.Selector = &metav1.LabelSelector{}
	fieldtest.ExpectErrors(t, ValidateStatefulSet(ss), "FieldValueInvalid spec.selector")

	// A mount of a claim template's volume is valid; of nothing, not.
	ss = validStatefulSet()
	ss.Spec.Template.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "data", MountPath: "/data"}}
	fieldtest.ExpectErrors(t, ValidateStatefulSet(ss), "FieldValueNotFound spec.template.spec.containers[0].volumeMounts[0].name")
	ss.Spec.VolumeClaimTemplates = []v1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}
	fieldtest.ExpectErrors(t, ValidateStatefulSet(ss))
}

func TestValidateStatefulSetUpdate(t *testing.T) {
	old := validStatefulSet()
	ok := old.DeepCopy()
	three := int32(3)
	ok.Spec.Replicas = &three
	ok.Spec.Template.Spec.Containers[0].Image = "nginx:1.26"
	fieldtest.ExpectErrors(t, ValidateStatefulSetUpdate(ok, old))
	bad := old.DeepCopy()
	bad.Spec.ServiceName = "other"
	errs := ValidateStatefulSetUpdate(bad, old)
	fieldtest.ExpectErrors(t, errs, "FieldValueForbidden spec")
	if !strings.Contains(errs[0].Error(), "updates to statefulset spec for fields other than 'replicas'") {
		t.Errorf("message = %s", errs[0].Error())
	}
}
