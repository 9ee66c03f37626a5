package core

import (
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DefaultPersistentVolume: reclaim policy Retain, volume mode Filesystem,
// phase Pending.
func DefaultPersistentVolume(pv *v1.PersistentVolume) {
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = v1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		mode := v1.PersistentVolumeFilesystem
		pv.Spec.VolumeMode = &mode
	}
	if pv.Status.Phase == "" {
		pv.Status.Phase = v1.VolumePending
	}
	if pv.Spec.HostPath != nil && pv.Spec.HostPath.Type == nil {
		unset := v1.HostPathUnset
		pv.Spec.HostPath.Type = &unset
	}
}

// DefaultPersistentVolumeClaim: volume mode Filesystem, phase Pending.
func DefaultPersistentVolumeClaim(pvc *v1.PersistentVolumeClaim) {
	if pvc.Spec.VolumeMode == nil {
		mode := v1.PersistentVolumeFilesystem
		pvc.Spec.VolumeMode = &mode
	}
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = v1.ClaimPending
	}
}

func supportedAccessModes() []v1.PersistentVolumeAccessMode {
	return []v1.PersistentVolumeAccessMode{v1.ReadOnlyMany, v1.ReadWriteMany, v1.ReadWriteOnce, v1.ReadWriteOncePod}
}

func validateAccessModes(modes []v1.PersistentVolumeAccessMode, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(modes) == 0 {
		return append(allErrs, field.Required(fldPath, "at least 1 access mode is required"))
	}
	supported := supportedAccessModes()
	for _, m := range modes {
		if !slices.Contains(supported, m) {
			allErrs = append(allErrs, field.NotSupported(fldPath, m, supported))
		}
	}
	if slices.Contains(modes, v1.ReadWriteOncePod) && len(modes) > 1 {
		allErrs = append(allErrs, field.Forbidden(fldPath, "may not use ReadWriteOncePod with other access modes"))
	}
	return allErrs
}

// ValidatePersistentVolume checks capacity (storage only), access modes,
// reclaim policy and that exactly one volume source is given.
func ValidatePersistentVolume(pv *v1.PersistentVolume) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateAccessModes(pv.Spec.AccessModes, specPath.Child("accessModes"))
	capPath := specPath.Child("capacity")
	if len(pv.Spec.Capacity) == 0 {
		allErrs = append(allErrs, field.Required(capPath, ""))
	} else if q, ok := pv.Spec.Capacity[v1.ResourceStorage]; !ok || len(pv.Spec.Capacity) > 1 {
		keys := make([]string, 0, len(pv.Spec.Capacity))
		for k := range pv.Spec.Capacity {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		allErrs = append(allErrs, field.NotSupported(capPath, keys, []string{string(v1.ResourceStorage)}))
	} else if q.Sign() <= 0 {
		allErrs = append(allErrs, field.Invalid(capPath.Key(string(v1.ResourceStorage)), q.String(), "must be greater than zero"))
	}
	if p := pv.Spec.PersistentVolumeReclaimPolicy; p != "" {
		allErrs = append(allErrs, validateEnumField(specPath.Child("persistentVolumeReclaimPolicy"), p,
			[]v1.PersistentVolumeReclaimPolicy{v1.PersistentVolumeReclaimDelete, v1.PersistentVolumeReclaimRecycle, v1.PersistentVolumeReclaimRetain})...)
	}
	types := persistentVolumeSourceCount(&pv.Spec.PersistentVolumeSource)
	if types == 0 {
		allErrs = append(allErrs, field.Required(specPath, "must specify a volume type"))
	} else if types > 1 {
		allErrs = append(allErrs, field.Forbidden(specPath, "may not specify more than 1 volume type"))
	}
	return allErrs
}

func persistentVolumeSourceCount(src *v1.PersistentVolumeSource) int {
	n := 0
	for _, set := range []bool{src.HostPath != nil, src.Local != nil, src.NFS != nil, src.CSI != nil, src.ISCSI != nil,
		src.FC != nil, src.RBD != nil, src.CephFS != nil, src.Glusterfs != nil, src.AzureFile != nil, src.AzureDisk != nil,
		src.GCEPersistentDisk != nil, src.AWSElasticBlockStore != nil, src.Cinder != nil, src.FlexVolume != nil,
		src.VsphereVolume != nil, src.Quobyte != nil, src.PortworxVolume != nil, src.ScaleIO != nil, src.StorageOS != nil,
		src.PhotonPersistentDisk != nil, src.Flocker != nil} {
		if set {
			n++
		}
	}
	return n
}

// ValidatePersistentVolumeClaim checks access modes and the storage request.
func ValidatePersistentVolumeClaim(pvc *v1.PersistentVolumeClaim) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := validateAccessModes(pvc.Spec.AccessModes, specPath.Child("accessModes"))
	storagePath := specPath.Child("resources").Key(string(v1.ResourceStorage))
	q, ok := pvc.Spec.Resources.Requests[v1.ResourceStorage]
	switch {
	case !ok && pvc.Spec.DataSourceRef == nil:
		allErrs = append(allErrs, field.Required(storagePath, ""))
	case ok && q.Sign() <= 0:
		allErrs = append(allErrs, field.Invalid(storagePath, q.String(), "must be greater than zero"))
	}
	return allErrs
}

const pvcUpdateForbiddenMsg = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"

// ValidatePersistentVolumeClaimUpdate: besides binding (volumeName set
// once), only resources.requests and volumeAttributesClassName may change,
// and the storage request may not shrink.
func ValidatePersistentVolumeClaimUpdate(pvc, old *v1.PersistentVolumeClaim) field.ErrorList {
	allErrs := ValidatePersistentVolumeClaim(pvc)
	munged := old.Spec.DeepCopy()
	munged.Resources.Requests = pvc.Spec.Resources.Requests
	munged.VolumeAttributesClassName = pvc.Spec.VolumeAttributesClassName
	if old.Spec.VolumeName == "" {
		munged.VolumeName = pvc.Spec.VolumeName
	}
	if !equality.Semantic.DeepEqual(*munged, pvc.Spec) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), pvcUpdateForbiddenMsg))
	}
	newQ, okNew := pvc.Spec.Resources.Requests[v1.ResourceStorage]
	oldQ, okOld := old.Spec.Resources.Requests[v1.ResourceStorage]
	if okNew && okOld && newQ.Cmp(oldQ) < 0 && old.Status.Phase == v1.ClaimBound {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than previous value"))
	}
	return allErrs
}
