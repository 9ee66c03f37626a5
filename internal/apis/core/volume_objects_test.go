package core

import (
	"github.com/capstan/capstan/internal/apis/fieldtest"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func validPVC() *v1.PersistentVolumeClaim {
	pvc := &v1.PersistentVolumeClaim{Spec: v1.PersistentVolumeClaimSpec{
		AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
		Resources:   v1.VolumeResourceRequirements{Requests: v1.ResourceList{v1.ResourceStorage: resource.MustParse("1Gi")}},
	}}
	DefaultPersistentVolumeClaim(pvc)
	return pvc
}

func TestValidatePersistentVolumeClaim(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1.PersistentVolumeClaim)
		want   []string
	}{
		{"valid", func(*v1.PersistentVolumeClaim) {}, nil},
		{"no access modes", func(p *v1.PersistentVolumeClaim) { p.Spec.AccessModes = nil }, []string{"FieldValueRequired spec.accessModes"}},
		{"bad access mode", func(p *v1.PersistentVolumeClaim) {
			p.Spec.AccessModes = []v1.PersistentVolumeAccessMode{"ReadSometimes"}
		},
			[]string{"FieldValueNotSupported spec.accessModes"}},
		{"no storage", func(p *v1.PersistentVolumeClaim) { p.Spec.Resources.Requests = nil }, []string{"FieldValueRequired spec.resources[storage]"}},
		{"zero storage", func(p *v1.PersistentVolumeClaim) {
			p.Spec.Resources.Requests[v1.ResourceStorage] = resource.MustParse("0")
		},
			[]string{"FieldValueInvalid spec.resources[storage]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validPVC()
			tc.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaim(p), tc.want...)
		})
	}
}

func TestValidatePersistentVolumeClaimUpdate(t *testing.T) {
	old := validPVC()
	bound := old.DeepCopy()
	bound.Spec.VolumeName = "pv-1"
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(bound, old))
	grown := bound.DeepCopy()
	grown.Spec.Resources.Requests[v1.ResourceStorage] = resource.MustParse("2Gi")
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(grown, bound))
	modes := bound.DeepCopy()
	modes.Spec.AccessModes = []v1.PersistentVolumeAccessMode{v1.ReadWriteMany}
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(modes, bound), "FieldValueForbidden spec")
}

func TestValidatePersistentVolume(t *testing.T) {
	pv := &v1.PersistentVolume{Spec: v1.PersistentVolumeSpec{
		Capacity:               v1.ResourceList{v1.ResourceStorage: resource.MustParse("10Gi")},
		AccessModes:            []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
		PersistentVolumeSource: v1.PersistentVolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/data"}},
	}}
	DefaultPersistentVolume(pv)
	if pv.Spec.PersistentVolumeReclaimPolicy != v1.PersistentVolumeReclaimRetain || pv.Status.Phase != v1.VolumePending {
		t.Errorf("pv defaults: %+v", pv)
	}
	fieldtest.ExpectErrors(t, ValidatePersistentVolume(pv))
	noSource := pv.DeepCopy()
	noSource.Spec.HostPath = nil
	fieldtest.ExpectErrors(t, ValidatePersistentVolume(noSource), "FieldValueRequired spec")
	cpu := pv.DeepCopy()
	cpu.Spec.Capacity = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1")}
	fieldtest.ExpectErrors(t, ValidatePersistentVolume(cpu), "FieldValueNotSupported spec.capacity")
}
