package printers

import (
	"fmt"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Annotations marking the default StorageClass.
const (
	defaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

func ingressCells(ing *networkingv1.Ingress, now time.Time) []interface{} {
	hostCell := ingressHosts(ing.Spec.Rules)
	lb := ing.Status.LoadBalancer.Ingress
	ips, names := make([]string, len(lb)), make([]string, len(lb))
	for i, in := range lb {
		ips[i], names[i] = in.IP, in.Hostname
	}
	ports := "80"
	if len(ing.Spec.TLS) != 0 {
		ports = "80, 443"
	}
	return []interface{}{ing.Name, strPtrOr(ing.Spec.IngressClassName, none), hostCell,
		loadBalancerAddresses(ips, names), ports, age(ing.CreationTimestamp, now)}
}

// ingressHosts lists up to three rule hosts, "*" when none is set, and
// "+ N more..." when rules remain after the list is full.
func ingressHosts(rules []networkingv1.IngressRule) string {
	var hosts []string
	more := false
	for _, r := range rules {
		if len(hosts) == maxListed {
			more = true
			break
		}
		if r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	if more {
		return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-maxListed)
	}
	return strings.Join(hosts, ",")
}

func ingressClassCells(ic *networkingv1.IngressClass, now time.Time) []interface{} {
	params := none
	if p := ic.Spec.Parameters; p != nil {
		params = p.Kind
		if p.APIGroup != nil {
			params += "." + *p.APIGroup
		}
		params += "/" + p.Name
	}
	return []interface{}{ic.Name, ic.Spec.Controller, params, age(ic.CreationTimestamp, now)}
}

// bindingCells prints a (Cluster)RoleBinding: ROLE as Kind/name, and the
// users, groups and namespace/name service accounts of its subjects.
func bindingCells(name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject, created metav1.Time, now time.Time) []interface{} {
	users, groups, sas := []string{}, []string{}, []string{}
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		}
	}
	return []interface{}{name, ref.Kind + "/" + ref.Name, age(created, now),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}

func storageClassCells(sc *storagev1.StorageClass, now time.Time) []interface{} {
	name := sc.Name
	if sc.Annotations[defaultClassAnnotation] == "true" || sc.Annotations[betaDefaultClassAnnotation] == "true" {
		name += " (default)"
	}
	reclaim := string(corev1.PersistentVolumeReclaimDelete)
	if sc.ReclaimPolicy != nil {
		reclaim = string(*sc.ReclaimPolicy)
	}
	binding := string(storagev1.VolumeBindingImmediate)
	if sc.VolumeBindingMode != nil {
		binding = string(*sc.VolumeBindingMode)
	}
	expand := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
	return []interface{}{name, sc.Provisioner, reclaim, binding, expand, age(sc.CreationTimestamp, now)}
}

func csiDriverCells(d *storagev1.CSIDriver, now time.Time) []interface{} {
	attach := d.Spec.AttachRequired == nil || *d.Spec.AttachRequired
	podInfo := d.Spec.PodInfoOnMount != nil && *d.Spec.PodInfoOnMount
	capacity := d.Spec.StorageCapacity != nil && *d.Spec.StorageCapacity
	tokens := unset
	if d.Spec.TokenRequests != nil {
		aud := make([]string, 0, len(d.Spec.TokenRequests))
		for _, t := range d.Spec.TokenRequests {
			aud = append(aud, t.Audience)
		}
		tokens = strings.Join(aud, ",")
	}
	republish := d.Spec.RequiresRepublish != nil && *d.Spec.RequiresRepublish
	modes := make([]string, 0, len(d.Spec.VolumeLifecycleModes))
	for _, m := range d.Spec.VolumeLifecycleModes {
		modes = append(modes, string(m))
	}
	return []interface{}{d.Name, attach, podInfo, capacity, tokens, republish,
		orNone(strings.Join(modes, ",")), age(d.CreationTimestamp, now)}
}

func volumeAttachmentCells(va *storagev1.VolumeAttachment, now time.Time) []interface{} {
	return []interface{}{va.Name, va.Spec.Attacher, strPtrOr(va.Spec.Source.PersistentVolumeName, ""),
		va.Spec.NodeName, va.Status.Attached, age(va.CreationTimestamp, now)}
}

func priorityClassCells(pc *schedulingv1.PriorityClass, now time.Time) []interface{} {
	policy := ""
	if pc.PreemptionPolicy != nil {
		policy = string(*pc.PreemptionPolicy)
	}
	return []interface{}{pc.Name, int64(pc.Value), pc.GlobalDefault, age(pc.CreationTimestamp, now), policy}
}

func leaseCells(l *coordinationv1.Lease, now time.Time) []interface{} {
	return []interface{}{l.Name, strPtrOr(l.Spec.HolderIdentity, ""), age(l.CreationTimestamp, now)}
}

func csrCells(csr *certificatesv1.CertificateSigningRequest, now time.Time) []interface{} {
	requested := none
	if csr.Spec.ExpirationSeconds != nil {
		requested = duration.HumanDuration(time.Duration(*csr.Spec.ExpirationSeconds) * time.Second)
	}
	return []interface{}{csr.Name, age(csr.CreationTimestamp, now), orNone(csr.Spec.SignerName),
		csr.Spec.Username, requested, csrCondition(csr)}
}

// csrCondition is Denied, Approved or Pending, then ",Failed" and ",Issued".
func csrCondition(csr *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, c := range csr.Status.Conditions {
		switch c.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	status := "Pending"
	if denied {
		status = "Denied"
	} else if approved {
		status = "Approved"
	}
	if failed {
		status += ",Failed"
	}
	if len(csr.Status.Certificate) > 0 {
		status += ",Issued"
	}
	return status
}

func quantityString(q *resource.Quantity) string {
	if q == nil {
		return "<nil>"
	}
	return q.String()
}
