package core

import (
	"fmt"
	"regexp"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Sysctl name rules: dot- or slash-separated segments, at most 253 characters.
const (
	sysctlMaxLength       = 253
	sysctlSegmentFmt      = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
	sysctlNamePatternFmt  = "^(" + sysctlSegmentFmt + "[\\./])*" + sysctlSegmentFmt + "$"
	capSysAdmin           = "CAP_SYS_ADMIN"
	privEscalationMessage = "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"
)

// validatePodSecurityContext checks the pod-level security context: user and
// group ids, sysctls, seccomp and the shareProcessNamespace/hostPID pair.
func validatePodSecurityContext(spec *v1.PodSpec, fldPath *field.Path) field.ErrorList {
	sc := spec.SecurityContext
	if sc == nil {
		return nil
	}
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateIDs(sc.RunAsUser, sc.RunAsGroup, fldPath)...)
	if sc.FSGroup != nil {
		for _, msg := range validation.IsValidGroupID(*sc.FSGroup) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("fsGroup"), *sc.FSGroup, msg))
		}
	}
	for i, gid := range sc.SupplementalGroups {
		for _, msg := range validation.IsValidGroupID(gid) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("supplementalGroups").Index(i), gid, msg))
		}
	}
	if sc.FSGroupChangePolicy != nil {
		allErrs = append(allErrs, validateEnumField(fldPath.Child("fsGroupChangePolicy"), *sc.FSGroupChangePolicy,
			[]v1.PodFSGroupChangePolicy{v1.FSGroupChangeOnRootMismatch, v1.FSGroupChangeAlways})...)
	}
	if spec.ShareProcessNamespace != nil && *spec.ShareProcessNamespace && spec.HostPID {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("shareProcessNamespace"), *spec.ShareProcessNamespace,
			"ShareProcessNamespace and HostPID cannot both be enabled"))
	}
	allErrs = append(allErrs, validateSysctls(sc.Sysctls, fldPath.Child("sysctls"))...)
	return append(allErrs, validateSeccompProfile(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
}

func validateIDs(user, group *int64, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if user != nil {
		for _, msg := range validation.IsValidUserID(*user) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("runAsUser"), *user, msg))
		}
	}
	if group != nil {
		for _, msg := range validation.IsValidGroupID(*group) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("runAsGroup"), *group, msg))
		}
	}
	return allErrs
}

// sysctlNamePattern is compiled once: validation runs on every pod write.
var sysctlNamePattern = regexp.MustCompile(sysctlNamePatternFmt)

func validateSysctls(sysctls []v1.Sysctl, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	pattern := sysctlNamePattern
	names := sets.New[string]()
	for i, s := range sysctls {
		namePath := fldPath.Index(i).Child("name")
		switch {
		case s.Name == "":
			allErrs = append(allErrs, field.Required(namePath, ""))
		case len(s.Name) > sysctlMaxLength || !pattern.MatchString(s.Name):
			allErrs = append(allErrs, field.Invalid(namePath, s.Name,
				fmt.Sprintf("must have at most %d characters and match regex %s", sysctlMaxLength, sysctlNamePatternFmt)))
		case names.Has(s.Name):
			allErrs = append(allErrs, field.Duplicate(namePath, s.Name))
		}
		names.Insert(s.Name)
	}
	return allErrs
}

func validateSeccompProfile(sp *v1.SeccompProfile, fldPath *field.Path) field.ErrorList {
	if sp == nil {
		return nil
	}
	localPath := fldPath.Child("localhostProfile")
	switch sp.Type {
	case v1.SeccompProfileTypeLocalhost:
		if sp.LocalhostProfile == nil {
			return field.ErrorList{field.Required(localPath, "must be set when seccomp type is Localhost")}
		}
		return validateLocalDescendingPath(*sp.LocalhostProfile, localPath)
	case v1.SeccompProfileTypeRuntimeDefault, v1.SeccompProfileTypeUnconfined:
		if sp.LocalhostProfile != nil {
			return field.ErrorList{field.Invalid(localPath, sp, "can only be set when seccomp type is Localhost")}
		}
		return nil
	default:
		return field.ErrorList{field.NotSupported(fldPath.Child("type"), sp.Type, []v1.SeccompProfileType{
			v1.SeccompProfileTypeLocalhost, v1.SeccompProfileTypeRuntimeDefault, v1.SeccompProfileTypeUnconfined})}
	}
}

// validateContainerSecurityContext checks a container's security context.
func validateContainerSecurityContext(sc *v1.SecurityContext, fldPath *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	allErrs := validateIDs(sc.RunAsUser, sc.RunAsGroup, fldPath)
	allErrs = append(allErrs, validateSeccompProfile(sc.SeccompProfile, fldPath.Child("seccompProfile"))...)
	if sc.ProcMount != nil {
		allErrs = append(allErrs, validateEnumField(fldPath.Child("procMount"), *sc.ProcMount,
			[]v1.ProcMountType{v1.DefaultProcMount, v1.UnmaskedProcMount})...)
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		if sc.Privileged != nil && *sc.Privileged {
			allErrs = append(allErrs, field.Invalid(fldPath, sc, privEscalationMessage))
		}
		if sc.Capabilities != nil {
			for _, c := range sc.Capabilities.Add {
				if c == capSysAdmin {
					allErrs = append(allErrs, field.Invalid(fldPath, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
				}
			}
		}
	}
	return allErrs
}

// validateHostAliases checks each alias' IP and hostnames.
func validateHostAliases(aliases []v1.HostAlias, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, a := range aliases {
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validation.IsValidIP(idxPath.Child("ip"), a.IP)...)
		for j, h := range a.Hostnames {
			for _, msg := range validation.IsDNS1123Subdomain(h) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("hostnames").Index(j), h, msg))
			}
		}
	}
	return allErrs
}
