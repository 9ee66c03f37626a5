package core

import (
	"math"
	"strings"

	v1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const isNegativeErrorMsg = "must be greater than or equal to 0"

// ValidatePod validates a new pod's spec (not its ObjectMeta). Ephemeral
// containers may not be set on create; they are added through their own
// subresource.
func ValidatePod(pod *v1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := ValidatePodSpec(&pod.Spec, specPath)
	if len(pod.Spec.EphemeralContainers) > 0 {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("ephemeralContainers"), "cannot be set on create"))
	}
	return allErrs
}

// ValidatePodTemplateSpec validates a pod template: its labels and
// annotations and its spec. fldPath is the path of the template itself.
func ValidatePodTemplateSpec(t *v1.PodTemplateSpec, fldPath *field.Path) field.ErrorList {
	metaPath := fldPath.Child("metadata")
	allErrs := metav1validation.ValidateLabels(t.Labels, metaPath.Child("labels"))
	allErrs = append(allErrs, apimachineryvalidation.ValidateAnnotations(t.Annotations, metaPath.Child("annotations"))...)
	return append(allErrs, ValidatePodSpec(&t.Spec, fldPath.Child("spec"))...)
}

// ValidatePodSpec validates a PodSpec found at fldPath.
func ValidatePodSpec(spec *v1.PodSpec, fldPath *field.Path) field.ErrorList {
	volumes, allErrs := validateVolumes(spec.Volumes, fldPath.Child("volumes"))
	allErrs = append(allErrs, validateContainers(spec, volumes, fldPath)...)
	allErrs = append(allErrs, validateRestartPolicy(spec.RestartPolicy, fldPath.Child("restartPolicy"))...)
	allErrs = append(allErrs, validateDNSPolicy(spec, fldPath)...)
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.NodeSelector, fldPath.Child("nodeSelector"))...)
	allErrs = append(allErrs, validateTolerations(spec.Tolerations, fldPath.Child("tolerations"))...)
	allErrs = append(allErrs, validatePodSecurityContext(spec, fldPath.Child("securityContext"))...)
	allErrs = append(allErrs, validateAffinity(spec.Affinity, fldPath.Child("affinity"))...)
	allErrs = append(allErrs, validateTopologySpreadConstraints(spec.TopologySpreadConstraints, fldPath.Child("topologySpreadConstraints"))...)
	allErrs = append(allErrs, validateHostAliases(spec.HostAliases, fldPath.Child("hostAliases"))...)
	if spec.ServiceAccountName != "" {
		for _, msg := range apimachineryvalidation.ValidateServiceAccountName(spec.ServiceAccountName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("serviceAccountName"), spec.ServiceAccountName, msg))
		}
	}
	if spec.NodeName != "" {
		for _, msg := range validation.IsDNS1123Subdomain(spec.NodeName) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nodeName"), spec.NodeName, msg))
		}
	}
	if spec.ActiveDeadlineSeconds != nil {
		if v := *spec.ActiveDeadlineSeconds; v < 1 || v > math.MaxInt32 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), v, validation.InclusiveRangeError(1, math.MaxInt32)))
		}
	}
	for _, f := range []struct{ name, value string }{{"hostname", spec.Hostname}, {"subdomain", spec.Subdomain}} {
		if f.value == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Label(f.value) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child(f.name), f.value, msg))
		}
	}
	return allErrs
}

func validateRestartPolicy(p v1.RestartPolicy, fldPath *field.Path) field.ErrorList {
	switch p {
	case v1.RestartPolicyAlways, v1.RestartPolicyOnFailure, v1.RestartPolicyNever:
		return nil
	case "":
		return field.ErrorList{field.Required(fldPath, "")}
	default:
		valid := []v1.RestartPolicy{v1.RestartPolicyAlways, v1.RestartPolicyOnFailure, v1.RestartPolicyNever}
		return field.ErrorList{field.NotSupported(fldPath, p, valid)}
	}
}

func validateDNSPolicy(spec *v1.PodSpec, fldPath *field.Path) field.ErrorList {
	switch spec.DNSPolicy {
	case v1.DNSClusterFirstWithHostNet, v1.DNSClusterFirst, v1.DNSDefault:
		return nil
	case v1.DNSNone:
		if spec.DNSConfig == nil {
			return field.ErrorList{field.Required(fldPath.Child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None")}
		}
		return nil
	case "":
		return field.ErrorList{field.Required(fldPath.Child("dnsPolicy"), "")}
	default:
		valid := []v1.DNSPolicy{v1.DNSClusterFirstWithHostNet, v1.DNSClusterFirst, v1.DNSDefault, v1.DNSNone}
		return field.ErrorList{field.NotSupported(fldPath.Child("dnsPolicy"), spec.DNSPolicy, valid)}
	}
}

// validateContainers validates init and regular containers, including name
// uniqueness across both lists and host port conflicts.
func validateContainers(spec *v1.PodSpec, volumes sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i := range spec.InitContainers {
		allErrs = append(allErrs, validateContainer(&spec.InitContainers[i], names, volumes, fldPath.Child("initContainers").Index(i))...)
	}
	ctrPath := fldPath.Child("containers")
	if len(spec.Containers) == 0 {
		allErrs = append(allErrs, field.Required(ctrPath, ""))
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		allErrs = append(allErrs, validateContainer(c, names, volumes, ctrPath.Index(i))...)
		if c.RestartPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(ctrPath.Index(i).Child("restartPolicy"), "may not be set for non-init containers"))
		}
		allErrs = append(allErrs, validateProbeSuccess(c.LivenessProbe, ctrPath.Index(i).Child("livenessProbe"))...)
		allErrs = append(allErrs, validateProbeSuccess(c.StartupProbe, ctrPath.Index(i).Child("startupProbe"))...)
	}
	return append(allErrs, validateHostPorts(spec.Containers, ctrPath)...)
}

// validateUniqueLabelName requires name (of a container or volume) to be set,
// unique among seen, and a DNS-1123 label.
func validateUniqueLabelName(name string, seen sets.Set[string], namePath *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(namePath, "")}
	case seen.Has(name):
		return field.ErrorList{field.Duplicate(namePath, name)}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(namePath, name, msg))
	}
	return errs
}

func validateContainer(c *v1.Container, names, volumes sets.Set[string], fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	allErrs = append(allErrs, validateUniqueLabelName(c.Name, names, fldPath.Child("name"))...)
	names.Insert(c.Name)
	if c.Image == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("image"), ""))
	} else if len(c.Image) != len(strings.TrimSpace(c.Image)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("image"), c.Image, "must not have leading or trailing whitespace"))
	}
	allErrs = append(allErrs, validateEnumField(fldPath.Child("imagePullPolicy"), c.ImagePullPolicy,
		[]v1.PullPolicy{v1.PullAlways, v1.PullIfNotPresent, v1.PullNever})...)
	allErrs = append(allErrs, validateEnumField(fldPath.Child("terminationMessagePolicy"), c.TerminationMessagePolicy,
		[]v1.TerminationMessagePolicy{v1.TerminationMessageReadFile, v1.TerminationMessageFallbackToLogsOnError})...)
	allErrs = append(allErrs, validateContainerPorts(c.Ports, fldPath.Child("ports"))...)
	allErrs = append(allErrs, validateEnv(c.Env, fldPath.Child("env"))...)
	allErrs = append(allErrs, validateVolumeMounts(c.VolumeMounts, volumes, fldPath.Child("volumeMounts"))...)
	allErrs = append(allErrs, ValidateResourceRequirements(&c.Resources, fldPath.Child("resources"))...)
	allErrs = append(allErrs, validateProbe(c.LivenessProbe, fldPath.Child("livenessProbe"))...)
	allErrs = append(allErrs, validateProbe(c.ReadinessProbe, fldPath.Child("readinessProbe"))...)
	allErrs = append(allErrs, validateProbe(c.StartupProbe, fldPath.Child("startupProbe"))...)
	return append(allErrs, validateContainerSecurityContext(c.SecurityContext, fldPath.Child("securityContext"))...)
}

// validateEnumField requires value to be one of valid.
func validateEnumField[T ~string](fldPath *field.Path, value T, valid []T) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	for _, v := range valid {
		if v == value {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, value, valid)}
}

func validateContainerPorts(ports []v1.ContainerPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, p := range ports {
		idxPath := fldPath.Index(i)
		if p.Name != "" {
			for _, msg := range validation.IsValidPortName(p.Name) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), p.Name, msg))
			}
			if names.Has(p.Name) {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), p.Name))
			}
			names.Insert(p.Name)
		}
		if p.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("containerPort"), ""))
		} else {
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("containerPort"), p.ContainerPort, msg))
			}
		}
		if p.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(p.HostPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("hostPort"), p.HostPort, msg))
			}
		}
		allErrs = append(allErrs, validateProtocol(p.Protocol, idxPath.Child("protocol"))...)
	}
	return allErrs
}

func validateProtocol(p v1.Protocol, fldPath *field.Path) field.ErrorList {
	return validateEnumField(fldPath, p, []v1.Protocol{v1.ProtocolSCTP, v1.ProtocolTCP, v1.ProtocolUDP})
}

// validateHostPorts reports a host port (with its protocol) used twice.
func validateHostPorts(containers []v1.Container, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for i, c := range containers {
		for j, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			key := p.HostIP + "/" + string(p.Protocol) + "/" + itoa(p.HostPort)
			if seen.Has(key) {
				allErrs = append(allErrs, field.Duplicate(fldPath.Index(i).Child("ports").Index(j), itoa(p.HostPort)+"/"+string(p.Protocol)))
			}
			seen.Insert(key)
		}
	}
	return allErrs
}

func validateEnv(env []v1.EnvVar, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, ev := range env {
		idxPath := fldPath.Index(i)
		if ev.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else {
			for _, msg := range validation.IsRelaxedEnvVarName(ev.Name) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), ev.Name, msg))
			}
		}
		if ev.ValueFrom == nil {
			continue
		}
		if ev.Value != "" {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("valueFrom"), "", "may not be specified when `value` is not empty"))
		}
		n := 0
		for _, set := range []bool{ev.ValueFrom.FieldRef != nil, ev.ValueFrom.ResourceFieldRef != nil,
			ev.ValueFrom.ConfigMapKeyRef != nil, ev.ValueFrom.SecretKeyRef != nil, ev.ValueFrom.FileKeyRef != nil} {
			if set {
				n++
			}
		}
		switch {
		case n == 0:
			allErrs = append(allErrs, field.Invalid(idxPath.Child("valueFrom"), "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
		case n > 1:
			allErrs = append(allErrs, field.Invalid(idxPath.Child("valueFrom"), "", "may not have more than one field specified at a time"))
		}
	}
	return allErrs
}

func validateProbe(p *v1.Probe, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	h := p.ProbeHandler
	var allErrs field.ErrorList
	n := 0
	for _, set := range []bool{h.Exec != nil, h.HTTPGet != nil, h.TCPSocket != nil, h.GRPC != nil} {
		if set {
			n++
		}
	}
	if n == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "must specify a handler type"))
	} else if n > 1 {
		allErrs = append(allErrs, field.Forbidden(fldPath, "may not specify more than 1 handler type"))
	}
	for _, f := range []struct {
		name  string
		value int32
	}{{"initialDelaySeconds", p.InitialDelaySeconds}, {"timeoutSeconds", p.TimeoutSeconds},
		{"periodSeconds", p.PeriodSeconds}, {"successThreshold", p.SuccessThreshold}, {"failureThreshold", p.FailureThreshold}} {
		if f.value < 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child(f.name), f.value, isNegativeErrorMsg))
		}
	}
	return allErrs
}

// validateProbeSuccess enforces successThreshold 1 for liveness and startup probes.
func validateProbeSuccess(p *v1.Probe, fldPath *field.Path) field.ErrorList {
	if p != nil && p.SuccessThreshold != 1 {
		return field.ErrorList{field.Invalid(fldPath.Child("successThreshold"), p.SuccessThreshold, "must be 1")}
	}
	return nil
}

func validateTolerations(tolerations []v1.Toleration, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, t := range tolerations {
		idxPath := fldPath.Index(i)
		if t.Key != "" {
			allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, idxPath.Child("key"))...)
		} else if t.Operator != v1.TolerationOpExists {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t.Operator,
				"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
		}
		switch t.Operator {
		case v1.TolerationOpEqual, "":
			for _, msg := range validation.IsValidLabelValue(t.Value) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t.Value, msg))
			}
		case v1.TolerationOpExists:
			if t.Value != "" {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("operator"), t, "value must be empty when `operator` is 'Exists'"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(idxPath.Child("operator"), t.Operator,
				[]v1.TolerationOperator{v1.TolerationOpEqual, v1.TolerationOpExists}))
		}
		if t.TolerationSeconds != nil && t.Effect != v1.TaintEffectNoExecute {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
		if t.Effect != "" {
			allErrs = append(allErrs, ValidateTaintEffect(t.Effect, idxPath.Child("effect"))...)
		}
	}
	return allErrs
}

// ValidateTaintEffect checks a taint or toleration effect against the enum.
func ValidateTaintEffect(effect v1.TaintEffect, fldPath *field.Path) field.ErrorList {
	return validateEnumField(fldPath, effect,
		[]v1.TaintEffect{v1.TaintEffectNoSchedule, v1.TaintEffectPreferNoSchedule, v1.TaintEffectNoExecute})
}

// ValidateTolerations checks tolerations outside a pod spec (for example a
// RuntimeClass' scheduling tolerations).
func ValidateTolerations(tolerations []v1.Toleration, fldPath *field.Path) field.ErrorList {
	return validateTolerations(tolerations, fldPath)
}
